package io.lorafleet.actors.protocol;

import static io.lorafleet.actors.protocol.WireContext.text;

import io.lorafleet.actors.protocol.wire.TenantsProto;
import io.lorafleet.actors.tenants.IssuedKey;
import java.util.List;

/** Tenants ({@code tenants.proto}): the issued API keys replicated in Distributed Data (their digests only). */
final class TenantMapper {
  private final WireLimits limits;

  TenantMapper(WireContext c) {
    this.limits = c.limits;
  }

  List<Binding<?>> bindings() {
    return List.of(
        Binding.of("t.key", IssuedKey.class,
            m -> TenantsProto.IssuedKey.newBuilder().setId(text(m.id())).setTenant(text(m.tenant()))
                .setSha256(text(m.sha256())).setCreatedMillis(m.createdMillis()).build(),
            in -> {
              var p = TenantsProto.IssuedKey.parseFrom(in);
              return new IssuedKey(limits.string(p.getId(), "id"), limits.string(p.getTenant(), "tenant"),
                  limits.string(p.getSha256(), "sha256"), p.getCreatedMillis());
            }));
  }
}
