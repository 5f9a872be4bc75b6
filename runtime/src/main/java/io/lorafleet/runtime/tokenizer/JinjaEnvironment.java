package io.lorafleet.runtime.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Jinjava set up like the jinja2 environment of HF's {@code apply_chat_template} (with the source
 * prepared by {@link TemplateSource}, which applies {@code trim_blocks=True}, {@code lstrip_blocks=True}
 * and {@code keep_trailing_newline=False} itself): jinja2 operator precedence ({@code 'a' + x | trim} filters {@code x}
 * only), {@code {{- ... -}}} whitespace control, Python {@code
 * str} methods, Python {@code trim} and {@code length}, HF's {@code tojson}, and the globals {@code
 * raise_exception} and {@code strftime_now}. A Jinjava instance is thread-safe: every render gets its own
 * interpreter.
 */
final class JinjaEnvironment {
  static final Jinjava JINJAVA = create();

  private JinjaEnvironment() {}

  private static Jinjava create() {
    LegacyOverrides jinja2Semantics = LegacyOverrides.newBuilder()
        .withUseNaturalOperatorPrecedence(true)
        .withUseTrimmingForNotesAndExpressions(true)
        .withParseWhitespaceControlStrictly(true)
        .withKeepNullableLoopValues(true)
        .withEvaluateMapKeys(true)
        .build();
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyStringMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(false)
        .withLstripBlocks(false)
        .withLegacyOverrides(jinja2Semantics)
        .withElResolver(resolver)
        .build();
    Jinjava jinjava = new Jinjava(config);
    jinjava.registerFilter(new PyFilters.ToJson());
    jinjava.registerFilter(new PyFilters.Trim());
    jinjava.registerFilter(new PyFilters.Length("length"));
    jinjava.registerFilter(new PyFilters.Length("count"));
    jinjava.registerFunction(function("raise_exception", "raiseException", Object.class));
    jinjava.registerFunction(function("strftime_now", "strftimeNow", String.class));
    return jinjava;
  }

  /** Whether a filter of that name exists. */
  static boolean hasFilter(String name) {
    return JINJAVA.getGlobalContext().getFilter(name) != null;
  }

  private static ELFunctionDefinition function(String name, String method, Class<?> parameter) {
    return new ELFunctionDefinition("", name, TemplateFunctions.class, method, parameter);
  }
}
