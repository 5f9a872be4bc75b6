package io.lorafleet.tools.gpubench;

import io.lorafleet.runtime.cli.CliInputException;
import io.lorafleet.runtime.format.DType;
import io.lorafleet.tools.synthetic.CheckpointShape;
import io.lorafleet.tools.synthetic.SyntheticCheckpoint;
import io.lorafleet.tools.synthetic.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gpu-bench checkpoint} (formerly {@code gpu-bench generate}, still accepted): the synthetic checkpoint
 * and adapters (cached), and the manifest naming them.
 */
@Command(name = "checkpoint", aliases = "generate", mixinStandardHelpOptions = true,
    description = "Write (or reuse) the synthetic checkpoint and its random PEFT adapters; write the manifest.")
final class CheckpointCommand implements Callable<Integer> {
  @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "tinyllama-1.1b or tiny (default: ${DEFAULT-VALUE})")
  String shape;

  @Option(names = "--adapters", defaultValue = "1000", description = "random rank-16 q/k/v/o adapters (default: ${DEFAULT-VALUE})")
  int adapters;

  @Option(names = "--adapter-dtype", defaultValue = "bf16", description = "LoRA tensors as bf16 or f32 (default: ${DEFAULT-VALUE})")
  String adapterDtype;

  @Option(names = "--cache-dir", required = true, description = "where the checkpoint is written (a local temp directory)")
  Path cacheDir;

  @Option(names = "--manifest", required = true, description = "the manifest file to write")
  Path manifest;

  @Override
  public Integer call() throws IOException {
    CheckpointShape s;
    try {
      s = CheckpointShape.byName(shape);
    } catch (IllegalArgumentException e) {
      throw new CliInputException("--shape: " + e.getMessage());
    }
    if (adapters < 1) {
      throw new CliInputException("--adapters " + adapters + ": must be at least 1");
    }
    DType dtype = switch (adapterDtype.toLowerCase(Locale.ROOT)) {
      case "bf16" -> DType.BF16;
      case "f32" -> DType.F32;
      default -> throw new CliInputException("--adapter-dtype " + adapterDtype + ": bf16 or f32");
    };
    java.nio.file.Files.createDirectories(cacheDir);
    SyntheticCheckpoint c = SyntheticCheckpoint.ensure(s, adapters, dtype, cacheDir);
    BenchManifest m = BenchManifest.of(c, dtype, SyntheticTokenizer.BOS_ID);
    m.write(manifest);
    System.out.println("manifest: " + manifest.toAbsolutePath() + " (" + m.adapters().size() + " adapters, model "
        + m.modelDir() + ")");
    return 0;
  }
}
