package io.lorafleet.actors.tenants;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted request of a tenant: holds its concurrency and KV-block share until {@link #release()}; takes
 * its generated tokens from the tenant's bucket ({@link #generated(int)}, once). Both are idempotent, so the
 * end of the generation, a failure and a safety timer may all call them.
 */
public final class Admission {
  /** Keys off (or nothing to count): does nothing. */
  public static final Admission NONE = new Admission(null, null, null, 0, 0);

  private final TenantQuotas quotas;
  private final String tenant;
  private final String label;
  private final long blocks;
  private final long admittedNanos;
  private final AtomicBoolean released = new AtomicBoolean();
  private final AtomicBoolean charged = new AtomicBoolean();
  private final AtomicBoolean firstToken = new AtomicBoolean();

  Admission(TenantQuotas quotas, String tenant, String label, long blocks, long admittedNanos) {
    this.quotas = quotas;
    this.tenant = tenant;
    this.label = label;
    this.blocks = blocks;
    this.admittedNanos = admittedNanos;
  }

  /** The tenant, or null for {@link #NONE}. */
  public String tenant() {
    return tenant;
  }

  /** The generation's first token came at {@code nanos} ({@link System#nanoTime()}): its wait is recorded once. */
  public void firstToken(long nanos) {
    if (quotas != null && firstToken.compareAndSet(false, true)) {
      quotas.metrics().tenantQueueTime(label, Math.max(0, nanos - admittedNanos) / 1e9);
    }
  }

  /** The generation produced {@code tokens} tokens (taken from the tenant's tokens-per-minute bucket once). */
  public void generated(int tokens) {
    if (quotas != null && charged.compareAndSet(false, true)) {
      quotas.charge(tenant, label, tokens);
    }
  }

  /** The generation ended: its concurrency and KV-block share is free again. */
  public void release() {
    if (quotas != null && released.compareAndSet(false, true)) {
      quotas.release(tenant, blocks);
    }
  }
}
