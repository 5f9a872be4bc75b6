package io.lorafleet.actors.cluster;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Adds and removes serving nodes for the {@link ClusterSupervisor}. Calls may block (processes, HTTP): the
 * supervisor runs them on a blocking dispatcher and hears the outcome as a message.
 */
public interface Provisioner extends AutoCloseable {
  /** For logs and the admin API: {@code local-process}, {@code kubernetes}. */
  String name();

  /** Starts one more node; completes once it was asked for (the node joins later), with a description. */
  CompletionStage<String> addNode();

  /** Whether this provisioner can remove {@code node} (a cluster address). */
  boolean canRemove(String node);

  /**
   * Removes {@code node}, which the supervisor already told to drain (it leaves the cluster by itself);
   * completes once it is gone.
   */
  CompletionStage<String> removeNode(String node);

  /** The nodes it manages now, described. */
  List<String> nodes();

  @Override
  void close();
}
