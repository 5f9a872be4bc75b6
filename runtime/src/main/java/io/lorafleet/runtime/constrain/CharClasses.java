package io.lorafleet.runtime.constrain;

/** The character classes the regex dialect and the JSON grammar use. */
final class CharClasses {
  /** {@code \d}: ASCII digits (as ECMAScript). */
  static final CodePointSet DIGIT = CodePointSet.of('0', '9');
  /** {@code \w}: ASCII letters, digits and underscore (as ECMAScript). */
  static final CodePointSet WORD = CodePointSet.builder().add('a', 'z').add('A', 'Z').add('0', '9').add('_').build();
  /** {@code \s} when generating: ASCII whitespace only, a subset of what both ECMAScript and Python accept. */
  static final CodePointSet SPACE = CodePointSet.builder().add(' ').add('\t', '\r').build();
  /** ECMAScript's whitespace and line terminators, whose complement is {@code \S}. */
  static final CodePointSet ECMA_SPACE = CodePointSet.builder().add('\t', '\r').add(' ').add(0xA0).add(0x1680)
      .add(0x2000, 0x200A).add(0x2028, 0x2029).add(0x202F).add(0x205F).add(0x3000).add(0xFEFF).build();
  /** {@code .}: anything but a line terminator. */
  static final CodePointSet DOT = CodePointSet.builder().add('\n').add('\r').add(0x2028, 0x2029).build().complement();
  /** Characters a JSON string holds without an escape: all but {@code "}, {@code \} and U+0000..U+001F. */
  static final CodePointSet JSON_UNESCAPED =
      CodePointSet.builder().add(0, 0x1F).add('"').add('\\').build().complement();

  private CharClasses() {}
}
