package io.lorafleet.actors.http;

import io.lorafleet.actors.adapters.AdapterStore;
import io.lorafleet.actors.adapters.SourcePolicy;
import io.lorafleet.actors.cluster.ClusterSupervisor;
import io.lorafleet.actors.routing.FleetView;
import io.lorafleet.actors.routing.GenerationRouter;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.actors.tenants.Tenancy;
import io.lorafleet.runtime.engine.LoadedModel;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What the HTTP API talks to on its node.
 *
 * @param system             the node's actor system
 * @param model              the loaded model: tokenizer, backend and engine (read-only use: tokenizing, limits,
 *                           stats)
 * @param store              the node's adapter cache
 * @param metrics            the node's metrics
 * @param sources            which adapter sources are accepted
 * @param maxBodyBytes       request body limit
 * @param adapterWaitTimeout how long a request may wait for its adapter to load
 * @param generationTimeout  how long one generation may run before it is cancelled
 * @param autoRegister       whether requests may register an adapter by naming its source
 * @param adminToken         the admin bearer token, or null when the admin API is disabled
 * @param fleet              the node's fleet actors (routing, supervisor, drain)
 * @param tenancy            API keys, tenants and their quotas (open when keys are off)
 */
public record NodeHandles(
    ActorSystem<?> system, LoadedModel model, ActorRef<AdapterStore.Command> store, ServerMetrics metrics,
    SourcePolicy sources, long maxBodyBytes,
    Duration adapterWaitTimeout, Duration generationTimeout, boolean autoRegister, String adminToken,
    FleetHandles fleet, Tenancy tenancy) {

  /**
   * The node's part in the fleet.
   *
   * @param view       its view of the fleet (routing)
   * @param router     starts relays for requests served elsewhere
   * @param service    its generation service, or null on an ingress-only node
   * @param supervisor the cluster supervisor (a singleton proxy), or null when the supervisor is off
   */
  public record FleetHandles(ActorRef<FleetView.Command> view, ActorRef<GenerationRouter.Command> router,
      ActorRef<GenerationService.Command> service, ActorRef<ClusterSupervisor.Command> supervisor) {}

  /** The name clients use for the base model. */
  public String modelName() {
    return model.name();
  }
}
