import { MAX_ATTRIBUTE_LENGTH } from './eventLimits';

/** CloudEvents type system: String excludes control characters, surrogates and noncharacters. */
const DISALLOWED_IN_STRING = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/**
 * What is wrong with a string attribute's value, or undefined when it is acceptable: longer than its limit
 * (MAX_ATTRIBUTE_LENGTH), or containing a character the CloudEvents String type excludes. With the `u` flag
 * `\p{Cs}` matches exactly the lone surrogates (a pair is one code point), so a value that passes is
 * well-formed UTF-16 and can be URI-encoded, written to a Table or an AMQP header without changing.
 * The one rule for an attribute, used by the validator and by whatever recovers an id from a rejected body.
 */
export function attributeTextProblem(name: string, text: string): string | undefined {
  const limit =
    // Own keys only: `in` would also find the prototype's (an extension named `constructor`).
    Object.hasOwn(MAX_ATTRIBUTE_LENGTH, name)
      ? MAX_ATTRIBUTE_LENGTH[name as keyof typeof MAX_ATTRIBUTE_LENGTH]
      : MAX_ATTRIBUTE_LENGTH.extension;
  if (text.length > limit) {
    return `is ${text.length} characters long, over the limit of ${limit} for this attribute`;
  }
  const bad = DISALLOWED_IN_STRING.exec(text);
  if (!bad) return undefined;
  const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  const what = /\p{Cs}/u.test(bad[0]) ? ' (an unpaired surrogate, not well-formed UTF-16)' : '';
  return `contains U+${code}${what} at index ${bad.index}; CloudEvents strings must not contain control characters, surrogates or noncharacters`;
}
