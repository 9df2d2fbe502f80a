package dev.ferry.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("0.0.0.0", 7700), HostPort.parse("0.0.0.0:7700"));
        assertEquals(new HostPort("localhost", 0), HostPort.parse("localhost:0"));
        assertEquals("127.0.0.1:7700", HostPort.parse("127.0.0.1:7700").toString());
    }

    @Test
    void refusesWhatIsNotAnAddress() {
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("7700"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:http"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":7700"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:70000"));
    }
}
