package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.Ready;
import dev.ferry.proto.v1.StreamError;
import dev.ferry.proto.v1.StreamErrorCode;
import org.junit.jupiter.api.Test;

/**
 * After COMMIT the source resumes the guest only on the destination's word that its copy is
 * gone: DISCARDED, or any error marked discarded. Anything else leaves it fenced.
 */
class DiscardedByDestinationTest {
    private static Control error(StreamErrorCode code, boolean discarded) {
        return Control.newBuilder().setError(StreamError.newBuilder().setCode(code).setMessage("m").setDiscarded(discarded)).build();
    }

    @Test
    void discardedOrMarkedDiscardedIsTheLicenceToResume() {
        assertTrue(OutgoingMigration.discardedByDestination(error(StreamErrorCode.DISCARDED, false)));
        assertTrue(OutgoingMigration.discardedByDestination(error(StreamErrorCode.BAD_FRAME, true)));
    }

    @Test
    void anyOtherErrorOrReplyIsNot() {
        assertFalse(OutgoingMigration.discardedByDestination(error(StreamErrorCode.BAD_FRAME, false)));
        assertFalse(OutgoingMigration.discardedByDestination(error(StreamErrorCode.INTERNAL, false)));
        assertFalse(OutgoingMigration.discardedByDestination(Control.newBuilder().setReady(Ready.getDefaultInstance()).build()));
    }

    @Test
    void aStreamExceptionCarriesTheMarkWithItsOwnCode() {
        StreamException plain = new StreamException(StreamErrorCode.BAD_FRAME, "garbage");
        assertFalse(plain.discarded());
        StreamException marked = plain.asDiscarded();
        assertTrue(marked.discarded());
        assertSame(StreamErrorCode.BAD_FRAME, marked.code());
        assertSame(marked, marked.asDiscarded());
        assertTrue(new StreamException(StreamErrorCode.DISCARDED, "gone").discarded(), "DISCARDED always is");
    }
}
