package dev.ferry.controller.cli;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.ferry.common.kv.KvOp;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvStatus;
import dev.ferry.controller.kv.KvConnection;
import dev.ferry.controller.kv.SwitchConnection;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "kv", description = {"Talk to a kv guest through a host's switch port.",
    "  ferry kv GUEST get KEY | put KEY VALUE | del KEY"})
final class KvCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec command;  // usage errors go to this command's streams

    /** What to do with the key. */
    enum Action { get, put, del }

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "GUEST", description = "The kv guest (name or MAC).")
    private String guest;

    @Parameters(index = "1", paramLabel = "ACTION", description = "${COMPLETION-CANDIDATES}")
    private Action action;

    @Parameters(index = "2", paramLabel = "KEY", description = "Key, 1-128 bytes of UTF-8.")
    private String key;

    @Parameters(index = "3", paramLabel = "VALUE", arity = "0..1", description = "put: the value, up to 1024 bytes of UTF-8.")
    private String value;

    @Option(names = "--via", paramLabel = "HOST", description = "Attach at this host's switch port (default: the host running the guest).")
    private String via;

    @Override
    public Integer call() throws Exception {
        if ((action == Action.put) != (value != null)) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(),
                    action == Action.put ? "put needs a VALUE" : action + " takes no VALUE");
        }
        var ingress = SwitchPorts.resolve(ferry, guest, via == null ? List.of() : List.of(via), false).getFirst();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (KvConnection kv = new KvConnection(SwitchConnection.open(group, ingress, guest, Duration.ofSeconds(5)),
                Duration.ofMillis(500), Duration.ofSeconds(10))) {
            kv.open();
            byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
            byte[] valueBytes = value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
            KvReply reply = kv.call(KvOp.valueOf(action.name().toUpperCase(Locale.ROOT)), keyBytes, valueBytes);
            return print(reply);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private int print(KvReply reply) {
        boolean found = reply.type() == KvReply.Type.RESULT && reply.status() == KvStatus.OK;
        String text = new String(reply.value(), StandardCharsets.UTF_8);
        if (ferry.json()) {
            Struct.Builder json = Struct.newBuilder()
                    .putFields("status", Value.newBuilder().setStringValue(reply.type() == KvReply.Type.RESULT
                            ? reply.status().name() : reply.type().name()).build());
            if (!text.isEmpty()) {
                json.putFields(found ? "value" : "message", Value.newBuilder().setStringValue(text).build());
            }
            Json.print(ferry.out(), json);
        } else if (found) {
            ferry.out().println(action == Action.get ? text : "ok");
        } else if (reply.status() == KvStatus.NOT_FOUND) {
            ferry.context.err().println("ferry: key '" + key + "' not found in " + guest);
        } else {
            ferry.context.err().println("ferry: " + guest + " answered " + reply.type() + ": " + text);
        }
        return found ? ExitCodes.OK : ExitCodes.KV_PROBLEM;
    }
}
