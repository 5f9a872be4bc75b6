/**
 * Hugging Face file formats, read without trusting the files: safetensors memory-mapped with the FFM API
 * (every size and offset bounds-checked), sharded checkpoints, {@code config.json} as {@link
 * io.lorafleet.runtime.format.LlamaConfig}, {@code generation_config.json}, PEFT's {@code
 * adapter_config.json}, and LoraFleet's optional {@code lorafleet-adapter.json} (an adapter's one-line
 * description, {@link io.lorafleet.runtime.format.AdapterMetadata}). Errors are {@link io.lorafleet.runtime.errors.ModelFormatException}s naming the
 * file and the problem.
 */
package io.lorafleet.runtime.format;
