/**
 * Guest disks on the shared mount: image files every agent sees, locked by the host that
 * runs the guest.
 *
 * <p>{@link dev.ferry.agent.storage.SharedStorage} creates, checks (the migration preflight),
 * opens and deletes images; {@link dev.ferry.agent.storage.DiskImage} is an open image, the
 * guest's {@link dev.ferry.agent.guest.Disk}, with the lock a migration hands from source to
 * destination. A migration never copies a disk: the source flushes and unlocks at
 * stop-and-copy, the destination locks at activation.
 */
package dev.ferry.agent.storage;
