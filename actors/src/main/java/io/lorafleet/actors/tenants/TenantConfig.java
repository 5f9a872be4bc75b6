package io.lorafleet.actors.tenants;

import io.lorafleet.runtime.engine.PriorityClass;

/**
 * One tenant's settings ({@code lorafleet.tenants.configured.<name>}, over {@code lorafleet.tenants.defaults}).
 *
 * @param name     the tenant
 * @param quota    its limits
 * @param priority its default priority class (the scheduler's)
 */
public record TenantConfig(String name, Quota quota, PriorityClass priority) {
  public TenantConfig {
    if (priority == null) {
      throw new IllegalArgumentException("tenant " + name + ": no priority class");
    }
  }

  /**
   * The most urgent class its requests run in: the class they get unless they ask for a lower one.
   */
  public PriorityClass defaultPriority() {
    return priority;
  }
}
