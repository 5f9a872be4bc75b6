/**
 * Hugging Face file formats, read without trusting the files: safetensors memory-mapped with the FFM API
 * (every size and offset bounds-checked), sharded checkpoints, {@code config.json} as {@link
 * io.lorafleet.runtime.format.LlamaConfig}, {@code generation_config.json}, and PEFT's {@code
 * adapter_config.json}. Errors are {@link io.lorafleet.runtime.errors.ModelFormatException}s naming the
 * file and the problem.
 */
package io.lorafleet.runtime.format;
