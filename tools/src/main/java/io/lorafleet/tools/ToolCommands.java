package io.lorafleet.tools;

import io.lorafleet.runtime.cli.CliCommandProvider;
import io.lorafleet.tools.bench.BenchCommand;
import io.lorafleet.tools.bench.PrefixCacheBenchCommand;
import io.lorafleet.tools.bench.QuantQualityCommand;
import io.lorafleet.tools.gpubench.GpuBenchCommand;
import io.lorafleet.tools.loadtest.LoadTestCommand;
import io.lorafleet.tools.loadtest.LoadTestCompareCommand;
import io.lorafleet.tools.loadtest.MakeAdaptersCommand;
import io.lorafleet.tools.loadtest.PriorityLoadTestCommand;
import io.lorafleet.tools.simulation.SimulateCommand;
import io.lorafleet.tools.wirebench.WireBenchCommand;
import java.util.List;

/**
 * Adds the measuring tools to the {@code lorafleet} command: {@code bench}, {@code bench-prefix}, {@code gpu-bench}, {@code loadtest},
 * {@code loadtest-compare}, {@code loadtest-priority}, {@code make-adapters}, {@code simulate}, {@code wire-bench} and
 * {@code quant-quality}.
 */
public final class ToolCommands implements CliCommandProvider {
  @Override
  public List<Object> commands() {
    return List.of(new BenchCommand(), new PrefixCacheBenchCommand(), new GpuBenchCommand(), new LoadTestCommand(), new LoadTestCompareCommand(),
        new PriorityLoadTestCommand(), new MakeAdaptersCommand(), new SimulateCommand(), new WireBenchCommand(),
        new QuantQualityCommand());
  }
}
