package dev.ferry.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.KvFixture.Client;
import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The table in guest memory against a HashMap, and deletes in runs of colliding keys. */
class KvTableTest {
    private final KvFixture kv = new KvFixture(32 << 20); // the random mix logs ~10 MiB
    private final Client client = kv.client(1);

    @AfterEach
    void close() {
        kv.close();
    }

    @Test
    void aDeleteShiftsTheRestOfItsRunBackSoEveryKeyStaysFound() {
        KvTable table = kv.table();
        long home = 100;
        List<String> keys = keysWithHome(table, 4, home);
        client.open();
        keys.subList(0, 3).forEach(key -> client.put(key, key));
        client.del(keys.get(1));
        assertEquals(home + 1, table.probe(KvFixture.bytes(keys.get(2))).slot(), "moved into the hole");
        assertEquals(keys.get(2), client.value(keys.get(2)));
        assertNull(client.value(keys.get(1)));
        client.put(keys.get(3), "3");
        assertEquals(home + 2, table.probe(KvFixture.bytes(keys.get(3))).slot(), "the run ends at home + 2 again");
        client.del(keys.get(0));
        assertEquals(List.of(home, home + 1), List.of(table.probe(KvFixture.bytes(keys.get(2))).slot(),
                table.probe(KvFixture.bytes(keys.get(3))).slot()));
        assertEquals(2, kv.header(Field.ENTRIES));
    }

    @Test
    void aKeyAtItsOwnHomeStaysWhenAnEarlierKeyGoes() {
        KvTable table = kv.table();
        String first = keysWithHome(table, 1, 200).get(0);
        String second = keysWithHome(table, 1, 201).get(0);
        client.open();
        client.put(first, "1");
        client.put(second, "2");
        client.del(first);
        assertEquals(201, table.probe(KvFixture.bytes(second)).slot(), "its probe never passed the hole");
        assertEquals("2", client.value(second));
    }

    @Test
    void aRunThatWrapsRoundTheTableEndShiftsAcrossIt() {
        KvTable table = kv.table();
        long last = table.slots() - 1;
        List<String> keys = keysWithHome(table, 3, last);
        client.open();
        keys.forEach(key -> client.put(key, key));
        assertEquals(1, table.probe(KvFixture.bytes(keys.get(2))).slot(), "last, 0, 1");
        client.del(keys.get(0));
        assertEquals(last, table.probe(KvFixture.bytes(keys.get(1))).slot());
        assertEquals(0, table.probe(KvFixture.bytes(keys.get(2))).slot());
        assertEquals(keys.get(2), client.value(keys.get(2)));
    }

    @Test
    void aSeededRandomMixOfOpsMatchesAHashMap() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        Map<String, String> model = new HashMap<>();
        client.open();
        for (int i = 0; i < 20_000; i++) {
            String key = key(random.nextInt(2000));
            int op = random.nextInt(10);
            if (op < 5) {
                String value = "v" + i + "x".repeat(random.nextInt(1000));
                KvReply reply = client.put(key, value);
                assertEquals(KvStatus.OK, reply.status(), "put " + i + ": " + reply);
                model.put(key, value);
            } else if (op < 8) {
                KvReply reply = client.del(key);
                assertEquals(model.remove(key) != null ? KvStatus.OK : KvStatus.NOT_FOUND, reply.status(), "del " + i);
            } else {
                assertEquals(model.get(key), client.value(key), "get " + i);
            }
        }
        assertEquals(buffers(model), Kv.contents(kv.memory));
        assertEquals(buffers(model), KvLog.contents(kv.disk), "the log says the same");
        assertEquals(model.size(), kv.header(Field.ENTRIES));
        assertTrue(collisions(kv.table(), model.keySet()) > 100, "the mix must exercise collisions");
    }

    @Test
    void lookupReadsAKeyStraightFromMemory() {
        client.open();
        client.put("k", "v");
        assertEquals("v", new String(Kv.lookup(kv.memory, KvFixture.bytes("k")), StandardCharsets.UTF_8));
        assertNull(Kv.lookup(kv.memory, KvFixture.bytes("absent")));
    }

    /** Keys 1..128 bytes long, each number always giving the same key. */
    static String key(int n) {
        String key = ("k" + n + "-").repeat(1 + n % 40);
        return key.substring(0, Math.min(key.length(), 128));
    }

    static Map<ByteBuffer, ByteBuffer> buffers(Map<String, String> model) {
        Map<ByteBuffer, ByteBuffer> buffers = new LinkedHashMap<>();
        model.forEach((k, v) -> buffers.put(ByteBuffer.wrap(KvFixture.bytes(k)), ByteBuffer.wrap(KvFixture.bytes(v))));
        return buffers;
    }

    /** The first {@code count} keys "c0", "c1", ... whose probe starts at {@code home}. */
    private static List<String> keysWithHome(KvTable table, int count, long home) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            if (table.home(KvFixture.bytes("c" + i)) == home) {
                keys.add("c" + i);
            }
        }
        return keys;
    }

    /** Keys whose home slot another key also has. */
    private static long collisions(KvTable table, Iterable<String> keys) {
        Map<Long, Integer> perHome = new HashMap<>();
        keys.forEach(key -> perHome.merge(table.home(KvFixture.bytes(key)), 1, Integer::sum));
        return perHome.values().stream().filter(n -> n > 1).mapToLong(n -> n).sum();
    }
}
