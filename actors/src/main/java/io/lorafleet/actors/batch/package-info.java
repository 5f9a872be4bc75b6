/**
 * The batch builder: one actor per engine (backend instance) that admits requests into the running
 * continuous batch, streams their tokens back and cancels them.
 */
package io.lorafleet.actors.batch;
