package io.lorafleet.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.lorafleet.actors.metrics.ServerMetrics;
import io.lorafleet.runtime.engine.PriorityClass;
import io.lorafleet.runtime.engine.SamplingParams;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A relayed request whose client leaves (the gateway tells the router {@link GenerationRouter.Cancel} by
 * request id): the cancel reaches the serving node's service at once, also before that node admitted the
 * request (while it loads the adapter), and the requester's wait for an admission ends. The serving node's
 * service and the fleet view are probes here; {@link GenerationService.Cancel} is the cross-node message
 * the serving node receives (its pipeline's answer to it: {@link ServedGenerationTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RelayCancelTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** "At once": well under the relay's admission timeout and any adapter load. */
  private static final Duration PROMPT = Duration.ofSeconds(3);
  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private record Parts(TestProbe<FleetView.Command> fleet, TestProbe<GenerationService.Command> remote,
      TestProbe<RequestRelay.Admission> requester, ActorRef<GenerationRouter.Command> router) {}

  private Parts start(String requestId) {
    TestProbe<FleetView.Command> fleet = testKit.createTestProbe();
    TestProbe<GenerationService.Command> remote = testKit.createTestProbe();
    TestProbe<RequestRelay.Admission> requester = testKit.createTestProbe();
    ActorRef<GenerationRouter.Command> router = testKit.spawn(GenerationRouter.create(fleet.ref(), new ServerMetrics()));
    router.tell(new GenerationRouter.Relay(new RequestRelay.Request(requestId, "a", null, new int[] {1, 2},
        SamplingParams.greedy(8), PriorityClass.BATCH, true, requester.ref(), 3, Duration.ofSeconds(60))));
    return new Parts(fleet, remote, requester, router);
  }

  /** Routes the relay's request to the remote probe; returns the Generate it sent there. */
  private static GenerationService.Generate routeToRemote(Parts p) {
    FleetView.Route route = p.fleet().expectMessageClass(FleetView.Route.class, WAIT);
    route.replyTo().tell(new FleetView.RouteDecision("pekko://lorafleet@10.0.0.2:25520", p.remote().ref(), false));
    return p.remote().expectMessageClass(GenerationService.Generate.class, WAIT);
  }

  @Test
  void aClientThatLeavesBeforeTheRemoteNodeAdmittedTheRequestCancelsItThereAtOnce() {
    Parts p = start("r1");
    GenerationService.Generate generate = routeToRemote(p);
    assertEquals("batch", generate.params().priority(), "the class travels with the request");
    assertEquals(PriorityClass.BATCH, generate.params().priorityClass());
    // The remote node is still loading the adapter (no Started yet) when the client leaves.
    p.router().tell(new GenerationRouter.Cancel("r1"));
    GenerationService.Cancel cancel = p.remote().expectMessageClass(GenerationService.Cancel.class, PROMPT);
    assertEquals("r1", cancel.requestId());
    assertEquals(generate.attempt(), cancel.attempt());
    var answer = assertInstanceOf(RequestRelay.NotAdmitted.class, p.requester().receiveMessage(PROMPT));
    assertInstanceOf(RequestCancelledException.class, answer.error());
    // A Started that was already on its way changes nothing: no admission, no second request.
    generate.replyTo().tell(new RelayEvent.Started("r1", generate.attempt()));
    p.requester().expectNoMessage(Duration.ofMillis(300));
    p.remote().expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aClientThatLeavesBeforeTheRequestWasRoutedNeverReachesANode() {
    Parts p = start("r2");
    FleetView.Route route = p.fleet().expectMessageClass(FleetView.Route.class, WAIT);
    p.router().tell(new GenerationRouter.Cancel("r2"));
    assertInstanceOf(RequestRelay.NotAdmitted.class, p.requester().receiveMessage(PROMPT));
    route.replyTo().tell(new FleetView.RouteDecision("pekko://lorafleet@10.0.0.2:25520", p.remote().ref(), false));
    p.remote().expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aClientThatLeavesAfterAdmissionCancelsThroughTheRouterToo() {
    Parts p = start("r3");
    GenerationService.Generate generate = routeToRemote(p);
    generate.replyTo().tell(new RelayEvent.Started("r3", generate.attempt()));
    assertInstanceOf(RequestRelay.Admitted.class, p.requester().receiveMessage(WAIT));
    p.router().tell(new GenerationRouter.Cancel("r3"));
    assertEquals("r3", p.remote().expectMessageClass(GenerationService.Cancel.class, PROMPT).requestId());
    // A cancel for a request the router does not know (ended, or never relayed here) is ignored.
    p.router().tell(new GenerationRouter.Cancel("unknown"));
    p.remote().expectNoMessage(Duration.ofMillis(200));
  }
}
