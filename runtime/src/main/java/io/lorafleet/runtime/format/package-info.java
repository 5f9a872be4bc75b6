/** Hugging Face file formats: safetensors (memory-mapped), config.json, PEFT adapter_config.json. */
package io.lorafleet.runtime.format;
