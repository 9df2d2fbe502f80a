package dev.ferry.agent.migration;

import dev.ferry.proto.v1.Control;

/** Where the destination's replies for one channel go: a Netty channel, or a test fake. */
public interface ControlSink {
    void send(Control message);

    /** Sends an error, then closes the channel. */
    void fail(StreamException error);

    void close();
}
