package io.lorafleet.actors.http;

import com.typesafe.config.ConfigFactory;
import io.lorafleet.runtime.Fixtures;
import io.lorafleet.actors.node.LoraFleetNode;
import io.lorafleet.runtime.backend.BackendConfig;
import io.lorafleet.runtime.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts real serving nodes on 127.0.0.1:0 over the fixture model and adapters. */
final class TestNode {
  static final String TOKEN = "test-admin-token-0123456789";

  private TestNode() {}

  /**
   * @param work      scratch directory: admin token file, download cache, and an extra adapter root
   * @param overrides configuration paths to set
   */
  static LoraFleetNode start(Path work, Map<String, Object> overrides, EngineConfig engine) throws IOException {
    Files.createDirectories(work.resolve("root"));
    Path token = work.resolve("admin-token");
    Files.writeString(token, TOKEN + "\n");
    Map<String, Object> c = new HashMap<>();
    c.put("lorafleet.http.port", 0);
    c.put("lorafleet.model.dir", Fixtures.model().toString());
    c.put("lorafleet.model.backend", "cpu");
    c.put("lorafleet.adapters.directory", Fixtures.adapters().toString());
    c.put("lorafleet.adapters.roots", List.of(work.resolve("root").toString()));
    c.put("lorafleet.adapters.cache.disk-dir", work.resolve("cache").toString());
    c.put("lorafleet.admin.token-file", token.toString());
    c.putAll(overrides);
    return LoraFleetNode.start(ConfigFactory.parseMap(c).withFallback(ConfigFactory.load()), engine,
        new BackendConfig(0, 0));
  }
}
