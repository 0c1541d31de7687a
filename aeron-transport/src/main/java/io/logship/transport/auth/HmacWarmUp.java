package io.logship.transport.auth;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * Gets HMAC-SHA256 compiled before a node verifies its first replication message: a starting node runs
 * {@link #run} on a thread of its own while it opens its log and store.
 *
 * <p>Why: until the JIT compiles the JDK's SHA-256 (then with the CPU's SHA instructions), it runs in the
 * interpreter at 4–60 MB/s instead of about 1 GB/s on this project's machine. A node restarted after a crash
 * meets a catch-up of 1 MiB replication messages at once, each verified on its duty thread; in those first
 * seconds its duty cycles took 50–220 ms, most of their samples in {@code SHA2.implCompress0}
 * (perf/README.md, "Cold code"). Hashing a few MiB before the node takes traffic gets the compiled code in
 * place; any key does, since the JIT compiles the digest, not the key.
 */
public final class HmacWarmUp
{
    /** Bytes hashed per step: a catch-up message is at most 1 MiB, a live one usually a few KiB. */
    static final int CHUNK_BYTES = 64 * 1024;
    /**
     * A step at least this fast (256 MB/s) ran compiled code: interpreted SHA-256 runs at a fifth of that at best,
     * and the JIT's code at about four times it.
     */
    static final long COMPILED_CHUNK_NS = 256_000;
    /**
     * Fast steps that end the warm-up. Interpreted code is never that fast, so a fast step ran compiled code; they
     * need not come in a row, since a step can be slow only because the thread lost its core (three JVMs starting at
     * once on two cores had one's warm-up end its budget waiting for three fast steps in a row).
     */
    static final int FAST_STEPS = 2;

    /**
     * What a warm-up did.
     *
     * @param compiled  whether it ended after {@link #FAST_STEPS} steps at compiled speed, rather than at the end
     *                  of its time budget.
     * @param bytes     bytes hashed (each step signs and verifies its chunk: twice its bytes).
     * @param elapsedNs time taken.
     * @param lastStepNs time the last {@link #CHUNK_BYTES} took.
     */
    public record Outcome(boolean compiled, long bytes, long elapsedNs, long lastStepNs)
    {
        /** For the node's log. */
        public String describe()
        {
            return "HMAC-SHA256 " + (compiled ? "warmed up" : "still slow after its warm-up budget") + ": " +
                (bytes >> 10) + " KiB hashed in " + elapsedNs / 1_000_000 + " ms, the last " + (CHUNK_BYTES >> 10) +
                " KiB at " + (lastStepNs <= 0 ? "-" : Long.toString(CHUNK_BYTES * 1000L / lastStepNs)) + " MB/s";
        }
    }

    private HmacWarmUp()
    {
    }

    /**
     * Signs and verifies {@link #CHUNK_BYTES} at a time, through the same path as a message in an Aeron term
     * buffer (a direct buffer), until {@link #FAST_STEPS} steps have run at compiled speed or
     * {@code budgetNs} has passed. Uses a random key of its own and touches no shared state.
     */
    public static Outcome run(final long budgetNs)
    {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        final Authenticator authenticator = new Authenticator(ClusterSecret.of(key));
        final UnsafeBuffer message =
            new UnsafeBuffer(ByteBuffer.allocateDirect(CHUNK_BYTES + Authenticator.TAG_LENGTH));
        final long startNs = System.nanoTime();
        long bytes = 0;
        long stepNs = 0;
        int fastSteps = 0;
        do
        {
            final long stepStartNs = System.nanoTime();
            message.putInt(0, (int)bytes); // each step hashes different bytes, as messages do
            authenticator.signInPlace(message, 0, CHUNK_BYTES);
            if (!authenticator.verify(message, 0, CHUNK_BYTES + Authenticator.TAG_LENGTH))
            {
                throw new IllegalStateException("HMAC-SHA256 does not verify its own tag");
            }
            stepNs = System.nanoTime() - stepStartNs;
            bytes += 2 * CHUNK_BYTES;
            if (stepNs <= 2 * COMPILED_CHUNK_NS) // signed and verified: twice the bytes
            {
                fastSteps++;
            }
        }
        while (fastSteps < FAST_STEPS && System.nanoTime() - startNs < budgetNs);
        return new Outcome(fastSteps >= FAST_STEPS, bytes, System.nanoTime() - startNs, stepNs / 2);
    }
}
