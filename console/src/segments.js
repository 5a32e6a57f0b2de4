// SMS encoding and segment count, as the API counts them (src/tidings/domain/encoding.py):
// GSM-7 when every character is in the GSM 03.38 basic table or its extension table (which
// costs two septets), else UCS-2 counted in UTF-16 code units. One segment holds 160 septets
// or 70 units; a concatenated message 153 or 67 per segment, and a two-unit character never
// straddles a segment boundary.

const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM7_EXTENSION = new Set("^{}\\[~]|€\f");
const SINGLE = { "GSM-7": 160, "UCS-2": 70 };
const CONCATENATED = { "GSM-7": 153, "UCS-2": 67 };

export function analyze(text) {
  const chars = Array.from(text); // code points, as Python iterates a str
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const encoding = gsm ? "GSM-7" : "UCS-2";
  const widths = chars.map((c) =>
    gsm ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.codePointAt(0) > 0xffff ? 2 : 1,
  );
  const units = widths.reduce((a, b) => a + b, 0);
  if (units <= SINGLE[encoding]) {
    return { encoding, units, segments: text ? 1 : 0, perSegment: SINGLE[encoding], characters: chars.length };
  }
  const capacity = CONCATENATED[encoding];
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > capacity) {
      segments += 1;
      used = 0;
    }
    used += width;
  }
  return { encoding, units, segments, perSegment: capacity, characters: chars.length };
}
