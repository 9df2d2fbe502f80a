package dev.ferry.controller.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.GuestState;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestDirectoryTest {

    private final GuestDirectory directory = new GuestDirectory();

    @Test
    void aGuestBeingReceivedDoesNotHideWhereItRuns() {
        directory.replaceHost("host-b", List.of(guest("demo", GuestState.GUEST_INCOMING)));
        directory.replaceHost("host-a", List.of(guest("demo", GuestState.GUEST_MIGRATING_OUT)));

        assertEquals("host-a", directory.find("demo").orElseThrow().getHost());
        assertEquals(1, directory.guests().size());
    }

    @Test
    void heartbeatReplacesWhatWasKnownOfItsHost() {
        directory.replaceHost("host-a", List.of(guest("one", GuestState.GUEST_RUNNING)));
        directory.replaceHost("host-a", List.of(guest("two", GuestState.GUEST_RUNNING)));

        assertTrue(directory.find("one").isEmpty());
        assertEquals("host-a", directory.find("two").orElseThrow().getHost());
    }

    @Test
    void moveShowsTheGuestOnTheDestinationAtOnce() {
        directory.replaceHost("host-a", List.of(guest("demo", GuestState.GUEST_MIGRATING_OUT)));
        directory.move("demo", "host-a", "host-b");

        GuestInfo moved = directory.find("demo").orElseThrow();
        assertEquals("host-b", moved.getHost());
        assertEquals(GuestState.GUEST_RUNNING, moved.getState());
    }

    @Test
    void aLateHeartbeatFromTheOldHostDoesNotMoveTheGuestBack() {
        directory.replaceHost("host-a", List.of(guest("demo", GuestState.GUEST_MIGRATING_OUT)));
        directory.move("demo", "host-a", "host-b");

        directory.replaceHost("host-a", List.of(guest("demo", GuestState.GUEST_MIGRATING_OUT)));  // sent before the move

        assertEquals("host-b", directory.find("demo").orElseThrow().getHost());
        assertEquals(1, directory.guests().size());
    }

    @Test
    void aGuestMigratedBackIsShownOnItsFirstHostAgain() {
        directory.move("demo", "host-a", "host-b");
        directory.replaceHost("host-a", List.of());  // host-a freed its copy: the stale reports are over
        directory.replaceHost("host-b", List.of(guest("demo", GuestState.GUEST_RUNNING)));
        directory.move("demo", "host-b", "host-a");

        directory.replaceHost("host-a", List.of(guest("demo", GuestState.GUEST_RUNNING)));
        directory.replaceHost("host-b", List.of(guest("demo", GuestState.GUEST_MIGRATING_OUT)));  // late, stale

        assertEquals("host-a", directory.find("demo").orElseThrow().getHost());
        assertEquals(1, directory.guests().size());
    }

    @Test
    void aClaimedNameCannotBeClaimedTwice() {
        assertTrue(directory.claim("demo"));
        assertFalse(directory.claim("demo"));
        directory.release("demo");
        assertTrue(directory.claim("demo"));
    }

    private static GuestInfo guest(String name, GuestState state) {
        return GuestInfo.newBuilder().setSpec(GuestSpec.newBuilder().setName(name).setMemoryBytes(4096)).setState(state).build();
    }
}
