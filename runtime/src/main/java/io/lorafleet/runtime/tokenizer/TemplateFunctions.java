package io.lorafleet.runtime.tokenizer;

import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.ZonedDateTime;
import java.util.Locale;

/** The globals HF's {@code apply_chat_template} adds to the template environment. */
final class TemplateFunctions {
  private TemplateFunctions() {}

  /** Thrown by {@code raise_exception(msg)}; turned into a {@link ChatTemplateException} after rendering. */
  static final class Raised extends RuntimeException {
    Raised(String message) {
      super(message, null, false, false);
    }
  }

  /** {@code raise_exception(msg)}: the template rejects the conversation. */
  public static Object raiseException(Object message) {
    throw new Raised(String.valueOf(message));
  }

  /** {@code strftime_now(format)}: the current local time formatted with Python strftime directives. */
  public static String strftimeNow(String format) {
    return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.US);
  }
}
