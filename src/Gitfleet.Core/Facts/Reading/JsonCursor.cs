using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// A forward-only reader over the UTF-8 bytes of one JSON value, for the few shapes a facts document has (objects,
/// maps of strings, short lists). It checks what it passes as strictly as <see cref="Utf8JsonReader"/> (string
/// escapes and control characters, number syntax, separators; comments and trailing commas are allowed, as the
/// facts reader always allowed them), but skipping a value it does not need costs a search for its end, not a
/// token per character run. Problems throw <see cref="FactsFormatException"/> naming the document's line and byte.
/// </summary>
internal ref struct JsonCursor
{
    private readonly ReadOnlySpan<byte> json;
    private readonly PositionMap map;
    private int pos;

    /// <param name="start">Where the value starts in <paramref name="json"/>.</param>
    public JsonCursor(ReadOnlySpan<byte> json, PositionMap map, int start = 0)
    {
        this.json = json;
        this.map = map;
        pos = start;
    }

    /// <summary>Where the cursor is (a byte offset into the value).</summary>
    public readonly int Position => pos;

    /// <summary>The next significant byte (after whitespace and comments), without taking it; 0 at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Peek()
    {
        // Facts are usually written without whitespace: the byte at the cursor is the one, without a call.
        if (pos < json.Length && json[pos] is > (byte)' ' and not (byte)'/')
        {
            return json[pos];
        }

        SkipWhitespace();
        return pos < json.Length ? json[pos] : (byte)0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Expect(byte b, string what)
    {
        if (Peek() != b)
        {
            throw Syntax($"expected {what}, found {Found()}");
        }

        pos++;
    }

    /// <summary>
    /// After a member or an element: true when another one follows (a comma), false at the closing bracket, which is
    /// taken. A comma right before the closing bracket is allowed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(byte close)
    {
        var b = Peek();
        if (b == close)
        {
            pos++;
            return false;
        }

        if (b != (byte)',')
        {
            throw Syntax($"expected ',' or '{(char)close}', found {Found()}");
        }

        pos++;
        if (Peek() == close)
        {
            pos++;
            return false;
        }

        return true;
    }

    /// <summary>Starts an object or a list: true when it has a first member or element (the cursor stands on it).</summary>
    public bool Open(byte open, byte close, string what)
    {
        Expect(open, what);
        if (Peek() == close)
        {
            pos++;
            return false;
        }

        return true;
    }

    /// <summary>A member's name and the colon after it; escaped names are decoded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> Name(out bool escaped)
    {
        if (Peek() != (byte)'"')
        {
            throw Syntax($"expected a property name in double quotes, found {Found()}");
        }

        var name = String(out escaped);
        Expect((byte)':', "':' after a property name");
        Peek();
        return name;
    }

    /// <summary>The raw content of the string the cursor stands on (escapes still escaped), checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> String(out bool escaped)
    {
        var start = ++pos;
        escaped = false;
        while (true)
        {
            var next = StringSpecial(json[pos..]);
            if (next < 0)
            {
                pos = json.Length;
                throw Syntax("a string is not closed");
            }

            pos += next;
            var b = json[pos];
            if (b == (byte)'"')
            {
                pos++;
                return json[start..(pos - 1)];
            }

            if (b != (byte)'\\')
            {
                throw Syntax("control characters must be escaped in a string");
            }

            escaped = true;
            pos++;
            if (pos >= json.Length)
            {
                throw Syntax("a string is not closed");
            }

            switch (json[pos])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    pos++;
                    break;
                case (byte)'u' when pos + 4 < json.Length && IsHex(json[pos + 1]) && IsHex(json[pos + 2]) && IsHex(json[pos + 3]) && IsHex(json[pos + 4]):
                    pos += 5;
                    break;
                default:
                    throw Syntax("invalid escape in a string");
            }
        }
    }

    /// <summary>Decodes an escaped string's content (as read by <see cref="String"/>) to UTF-8.</summary>
    public static byte[] Unescape(ReadOnlySpan<byte> raw)
    {
        var quoted = new byte[raw.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        raw.CopyTo(quoted.AsSpan(1));
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return Encoding.UTF8.GetBytes(reader.GetString()!);
    }

    /// <summary>A number's text, checked against JSON's number syntax.</summary>
    public ReadOnlySpan<byte> Number()
    {
        var start = pos;
        if (pos < json.Length && json[pos] == (byte)'-')
        {
            pos++;
        }

        if (pos < json.Length && json[pos] == (byte)'0')
        {
            pos++;
        }
        else if (!Digits())
        {
            throw Syntax("invalid number");
        }

        if (pos < json.Length && json[pos] == (byte)'.')
        {
            pos++;
            if (!Digits())
            {
                throw Syntax("invalid number");
            }
        }

        if (pos < json.Length && json[pos] is (byte)'e' or (byte)'E')
        {
            pos++;
            if (pos < json.Length && json[pos] is (byte)'+' or (byte)'-')
            {
                pos++;
            }

            if (!Digits())
            {
                throw Syntax("invalid number");
            }
        }

        if (pos < json.Length && (IsAsciiLetterOrDigit(json[pos]) || json[pos] is (byte)'.' or (byte)'-' or (byte)'+'))
        {
            throw Syntax("invalid number");
        }

        return json[start..pos];
    }

    /// <summary>true, false or null: the one the cursor stands on, or an error.</summary>
    public JsonTokenType Literal()
    {
        if (json[pos..].StartsWith("true"u8))
        {
            pos += 4;
            return JsonTokenType.True;
        }

        if (json[pos..].StartsWith("false"u8))
        {
            pos += 5;
            return JsonTokenType.False;
        }

        if (json[pos..].StartsWith("null"u8))
        {
            pos += 4;
            return JsonTokenType.Null;
        }

        throw Syntax($"expected a value, found {Found()}");
    }

    /// <summary>What kind of value the cursor stands on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public JsonTokenType Kind() => Peek() switch
    {
        (byte)'"' => JsonTokenType.String,
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'-' or >= (byte)'0' and <= (byte)'9' => JsonTokenType.Number,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        0 when pos >= json.Length => throw Syntax("the value ends early"),
        _ => throw Syntax($"expected a value, found {Found()}"),
    };

    /// <summary>
    /// True (and the null taken) when the value is null; false when it is of the expected kind; otherwise the
    /// problem, at the value: "<paramref name="what"/>" <paramref name="mustBe"/>. (The message is made only then: this
    /// runs for several values of every device, and a message per call was most of what reading facts allocated.)
    /// </summary>
    public bool NullOr(JsonTokenType expected, string what, string mustBe)
    {
        var kind = Kind();
        if (kind == JsonTokenType.Null)
        {
            Literal();
            return true;
        }

        return kind == expected ? false : throw Error(pos, $"\"{what}\" {mustBe}");
    }

    /// <summary>
    /// A <see cref="PlainObject"/> walk of the object the cursor stands on (the fast path of a map of strings); the
    /// cursor does not move until <see cref="Past"/>.
    /// </summary>
    public readonly PlainObject Plain() => new(json, pos);

    /// <summary>Moves the cursor past the object a <see cref="PlainObject"/> walked to its end.</summary>
    public void Past(in PlainObject plain) => pos = plain.End;

    /// <summary>Skips the value the cursor stands on, checking it.</summary>
    public void Skip()
    {
        var plain = Plain();
        if (plain.SkipToEnd())
        {
            pos = plain.End; // an object of plain strings: valid as it is
            return;
        }

        switch (Kind())
        {
            case JsonTokenType.String:
                String(out _);
                break;
            case JsonTokenType.Number:
                Number();
                break;
            case JsonTokenType.StartObject:
                if (Open((byte)'{', (byte)'}', "'{'"))
                {
                    do
                    {
                        Name(out _);
                        Skip();
                    }
                    while (Next((byte)'}'));
                }

                break;
            case JsonTokenType.StartArray:
                if (Open((byte)'[', (byte)']', "'['"))
                {
                    do
                    {
                        Skip();
                    }
                    while (Next((byte)']'));
                }

                break;
            default:
                Literal();
                break;
        }
    }

    /// <summary>The date and time of a string value, read as <see cref="Utf8JsonReader"/> reads them (ISO 8601).</summary>
    public DateTimeOffset? Time(string what)
    {
        var start = pos;
        switch (Kind())
        {
            case JsonTokenType.Null:
                Literal();
                return null;
            case JsonTokenType.String:
                String(out _);
                var reader = new Utf8JsonReader(json[start..pos]);
                if (reader.Read() && reader.TryGetDateTimeOffset(out var time))
                {
                    return time;
                }

                break;
            default:
                Skip();
                break;
        }

        throw Error(start, $"\"{what}\" must be a date and time such as 2026-01-05T08:00:00Z");
    }

    /// <summary>The end of the value: only whitespace and comments may follow.</summary>
    public void End()
    {
        if (Peek() != 0 || pos < json.Length)
        {
            throw Syntax($"expected the end of the device, found {Found()}");
        }
    }

    /// <summary>A problem with the value at <paramref name="start"/> (a position of this cursor).</summary>
    public readonly FactsFormatException Error(int start, string message) => new($"at byte {map.ByteOffset(start)}: {message}");

    /// <summary>A syntax problem at the cursor, with the document's line and position.</summary>
    public readonly FactsFormatException Syntax(string message)
    {
        var before = json[..Math.Min(pos, json.Length)];
        var lines = before.Count((byte)'\n');
        var column = lines == 0 ? before.Length : before.Length - 1 - before.LastIndexOf((byte)'\n');
        var (line, position) = map.LineAndColumn(lines, column);
        return new FactsFormatException($"line {line + 1}, position {position + 1}: {message}");
    }

    private readonly string Found()
    {
        if (pos >= json.Length)
        {
            return "the end of the device";
        }

        var b = json[pos];
        return b is >= 0x20 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:x2}";
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipWhitespace()
    {
        while (pos < json.Length)
        {
            switch (json[pos])
            {
                case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                    pos++;
                    break;
                case (byte)'/' when pos + 1 < json.Length && json[pos + 1] == (byte)'/':
                    var end = json[pos..].IndexOf((byte)'\n');
                    pos = end < 0 ? json.Length : pos + end + 1;
                    break;
                case (byte)'/' when pos + 1 < json.Length && json[pos + 1] == (byte)'*':
                    var close = json[(pos + 2)..].IndexOf("*/"u8);
                    if (close < 0)
                    {
                        throw Syntax("a comment is not closed");
                    }

                    pos += close + 4;
                    break;
                default:
                    return;
            }
        }
    }

    /// <summary>
    /// Where the plain run of a string ends: the closing quote, an escape, or a control character (invalid in
    /// JSON); -1 when none follows. 32 bytes at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int StringSpecial(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(bytes);
            for (; i + 32 <= bytes.Length; i += 32)
            {
                var block = Vector256.LoadUnsafe(ref start, (nuint)i);
                var special = Vector256.Equals(block, Vector256.Create((byte)'"')) | Vector256.Equals(block, Vector256.Create((byte)'\\'))
                    | Vector256.LessThan(block, Vector256.Create((byte)0x20));
                var bits = special.ExtractMostSignificantBits();
                if (bits != 0)
                {
                    return i + BitOperations.TrailingZeroCount(bits);
                }
            }
        }

        for (; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'"' or (byte)'\\' or < 0x20)
            {
                return i;
            }
        }

        return -1;
    }

    private bool Digits()
    {
        var start = pos;
        while (pos < json.Length && json[pos] is >= (byte)'0' and <= (byte)'9')
        {
            pos++;
        }

        return pos > start;
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static bool IsAsciiLetterOrDigit(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';
}
