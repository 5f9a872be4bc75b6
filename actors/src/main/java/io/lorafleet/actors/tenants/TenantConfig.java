package io.lorafleet.actors.tenants;

import java.util.List;

/**
 * One tenant's settings ({@code lorafleet.tenants.configured.<name>}, over {@code lorafleet.tenants.defaults}).
 *
 * @param name     the tenant
 * @param quota    its limits
 * @param priority its default priority class: {@code interactive}, {@code standard} or {@code batch}
 */
public record TenantConfig(String name, Quota quota, String priority) {
  /** The priority classes a tenant may have, highest first. */
  public static final List<String> PRIORITIES = List.of("interactive", "standard", "batch");

  public TenantConfig {
    if (!PRIORITIES.contains(priority)) {
      throw new IllegalArgumentException("tenant " + name + ": priority \"" + priority + "\" is not one of "
          + PRIORITIES);
    }
  }

  /**
   * The priority class its requests get unless they ask for a lower one (the scheduler's classes; wired to the
   * scheduler by the node).
   */
  public String defaultPriority() {
    return priority;
  }
}
