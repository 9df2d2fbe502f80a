/**
 * The kv program's wire messages: what a client and a kv guest put in frame payloads.
 *
 * <p>A client is identified by its frame's source MAC, one MAC per connection. The protocol:
 * <ol>
 *   <li>{@code OPEN seq=s} creates the connection's session (or resets an existing one) with
 *       last seq {@code s}; the guest answers {@code OPENED s}.
 *   <li>{@code CALL seq=s+1, s+2, ...} one at a time: the guest applies each seq exactly once,
 *       saves its reply and answers {@code RESULT}. A client that gets no reply sends the same
 *       seq again and gets the saved reply; nothing is applied twice. An older seq is ignored,
 *       a gap is answered with {@code ERROR}.
 *   <li>{@code CLOSE} frees the session and is answered with {@code CLOSED}; a retransmitted
 *       CLOSE finds no session and gets {@code RESET}, which a closing client takes as closed.
 * </ol>
 * {@code RESET} answers a CALL or CLOSE from a MAC the guest has no session for: the client
 * must treat its connection as reset. The guest keeps sessions in guest memory, so a live
 * migration shows up to the client as a pause, never as a reset.
 *
 * <p>OPEN always resets: a client must not reuse a MAC for a new connection while an old
 * OPEN from it could still be in flight.
 */
package dev.ferry.common.kv;
