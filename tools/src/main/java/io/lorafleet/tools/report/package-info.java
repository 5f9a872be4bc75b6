/**
 * How the tools show their figures: {@link io.lorafleet.tools.report.TextTable} (the one text-table printer),
 * {@link io.lorafleet.tools.report.LineChart} (line charts drawn by JFreeChart into PNG files) and
 * {@link io.lorafleet.tools.report.HostInfo} (the machine a measurement ran on). JSON documents are each
 * tool's own records, written with Jackson.
 */
package io.lorafleet.tools.report;
