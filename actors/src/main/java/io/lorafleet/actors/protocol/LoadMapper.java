package io.lorafleet.actors.protocol;

import static io.lorafleet.actors.protocol.WireContext.text;

import io.lorafleet.actors.protocol.wire.LoadProto;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.serialization.WireProtocol;
import java.util.List;

/** Load announcements ({@code load.proto}): the values of the replicated node-loads map. */
final class LoadMapper {
  private final WireContext c;
  private final WireLimits limits;

  LoadMapper(WireContext c) {
    this.c = c;
    this.limits = c.limits;
  }

  List<Binding<?>> bindings() {
    return List.of(Binding.of("l.announce", NodeAnnouncement.class, this::announcement,
        in -> announcement(LoadProto.Announcement.parseFrom(in))));
  }

  LoadProto.Announcement announcement(NodeAnnouncement m) {
    if (m.rateAdapters().length != m.rates().length) {
      throw new IllegalArgumentException("NodeAnnouncement: " + m.rateAdapters().length + " rate adapters but "
          + m.rates().length + " rates");
    }
    var b = LoadProto.Announcement.newBuilder().setNode(text(m.node())).setHttpUrl(text(m.httpUrl()))
        .setService(c.ref(m.service())).setDeviceMemoryBytes(m.deviceMemoryBytes())
        .setAdapterSlots(m.adapterSlots()).setMaxBatch(m.maxBatch()).setQueueDepth(m.queueDepth())
        .setRunning(m.running()).setAccepting(m.accepting()).setServedRequests(m.servedRequests())
        .setSequence(m.sequence());
    for (String a : m.residentAdapters()) {
      b.addResidentAdapters(a);
    }
    for (String a : m.rateAdapters()) {
      b.addRateAdapters(a);
    }
    for (double r : m.rates()) {
      b.addRates(r);
    }
    if (c.version >= 2) { // added in version 2
      b.setProtocolVersion(m.protocolVersion());
    }
    return b.build();
  }

  NodeAnnouncement announcement(LoadProto.Announcement p) {
    if (p.getRateAdaptersCount() != p.getRatesCount()) {
      throw new MalformedMessageException("rate_adapters has " + p.getRateAdaptersCount() + " elements but rates "
          + p.getRatesCount());
    }
    return new NodeAnnouncement(limits.string(p.getNode(), "node"), limits.string(p.getHttpUrl(), "http_url"),
        c.ref(p.getService(), "service"), p.getDeviceMemoryBytes(), p.getAdapterSlots(), p.getMaxBatch(),
        p.getQueueDepth(), p.getRunning(),
        limits.strings(p.getResidentAdaptersCount(), p::getResidentAdapters, "resident_adapters"),
        limits.strings(p.getRateAdaptersCount(), p::getRateAdapters, "rate_adapters"),
        limits.doubles(p.getRatesCount(), p::getRates, "rates"), p.getAccepting(), p.getServedRequests(),
        p.getSequence(), p.getProtocolVersion() == 0 ? WireProtocol.PREVIOUS : p.getProtocolVersion());
  }
}
