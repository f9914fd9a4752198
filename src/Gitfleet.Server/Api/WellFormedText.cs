using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Gitfleet.Server.Api;

/// <summary>
/// The edge check for text from devices and API clients: every string must be well-formed UTF-8 made of Unicode scalar
/// values (no lone UTF-16 surrogate, escaped or not) and hold no NUL character (PostgreSQL text cannot keep one).
/// Checked when a request is read, so nothing malformed is ever stored and no reader meets it later; a failure is a
/// 400 that names the field.
/// </summary>
public static class WellFormedText
{
    /// <summary>Checks every property name and string value of a JSON document; a syntax error is left to the parser.</summary>
    /// <param name="what">What the document is, for the message (e.g. "the request body", "id_data").</param>
    public static void CheckJson(ReadOnlySpan<byte> json, string what = "the request body")
    {
        // The common case (every check-in) in one pass without allocating; the field is named in a second pass.
        if (IsWellFormed(json))
        {
            return;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        var path = new List<PathStep>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (Problem(ref reader) is { } nameProblem)
                        {
                            throw Invalid(what, Describe(path) + " (a property name)", nameProblem);
                        }

                        path[^1] = path[^1] with { Name = reader.ValueIsEscaped ? "…" : Encoding.UTF8.GetString(reader.ValueSpan) };
                        continue;
                    case JsonTokenType.String:
                        Advance(path);
                        if (Problem(ref reader) is { } valueProblem)
                        {
                            throw Invalid(what, Describe(path), valueProblem);
                        }

                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add(new PathStep(reader.TokenType == JsonTokenType.StartArray, -1, null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the parser that reads the document next reports it with its position.
        }
    }

    private static bool IsWellFormed(ReadOnlySpan<byte> json)
    {
        // Valid UTF-8 without a \u escape cannot hold a bad string: a surrogate or NUL needs an escape (raw, UTF-8
        // rejects surrogates and JSON control characters). Two vectorised scans settle nearly every body.
        if (Utf8.IsValid(json) && json.IndexOf("\\u"u8) < 0)
        {
            return true;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && Problem(ref reader) is not null)
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the parser's to report.
        }

        return true;
    }

    /// <summary>Checks one string (a query parameter, a form field, a header value taken as text).</summary>
    public static void CheckString(string? value, string field)
    {
        if (value is not null && Problem(value) is { } problem)
        {
            throw Invalid(null, field, problem);
        }
    }

    /// <summary>
    /// Checks a raw query string (<c>?a=1&amp;b=%C3%A9</c>): ASP.NET Core leaves percent-encoded bytes that are not
    /// UTF-8 undecoded, so they are checked here, before decoding, and a bad parameter is named.
    /// </summary>
    public static void CheckQueryString(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return;
        }

        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var nameBytes = PercentDecode(name);
            var shown = Utf8.IsValid(nameBytes) && Problem(Encoding.UTF8.GetString(nameBytes)) is null && nameBytes.Length <= 64 ? Encoding.UTF8.GetString(nameBytes) : null;
            if (shown is null)
            {
                throw Invalid(null, "a query parameter name", Utf8.IsValid(nameBytes) ? Problem(Encoding.UTF8.GetString(nameBytes)) ?? "it is too long" : "its percent-encoded bytes are not UTF-8");
            }

            var value = PercentDecode(equals < 0 ? "" : pair[(equals + 1)..]);
            if (!Utf8.IsValid(value))
            {
                throw Invalid(null, $"query parameter '{shown}'", "its percent-encoded bytes are not UTF-8");
            }

            CheckString(Encoding.UTF8.GetString(value), $"query parameter '{shown}'");
        }
    }

    /// <summary>Why the text is not well-formed, or null when it is.</summary>
    public static string? Problem(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return "it holds a NUL character (\\u0000)";
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"it holds a lone UTF-16 surrogate (\\u{(int)c:x4}), which is not a Unicode character";
            }
        }

        return null;
    }

    private static byte[] PercentDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                bytes.Add((byte)((Uri.FromHex(text[i + 1]) << 4) | Uri.FromHex(text[i + 2])));
                i += 2;
            }
            else if (text[i] == '+')
            {
                bytes.Add((byte)' ');
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return [.. bytes];
    }

    private static string? Problem(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence)
        {
            return null; // Bodies are read into one buffer: a sequence never occurs here.
        }

        if (!reader.ValueIsEscaped)
        {
            var span = reader.ValueSpan;
            return !Utf8.IsValid(span) ? "it is not valid UTF-8"
                : span.Contains((byte)0) ? "it holds a NUL character (\\u0000)"
                : null;
        }

        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            return e.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase)
                ? "it holds a lone UTF-16 surrogate escape, which is not a Unicode character"
                : "it is not valid UTF-8";
        }

        return Problem(text);
    }

    private static void Advance(List<PathStep> path)
    {
        if (path.Count > 0 && path[^1].IsArray)
        {
            path[^1] = path[^1] with { Index = path[^1].Index + 1 };
        }
    }

    private static string Describe(List<PathStep> path)
    {
        var text = new StringBuilder("$");
        foreach (var step in path)
        {
            if (step.IsArray)
            {
                text.Append('[').Append(step.Index < 0 ? 0 : step.Index).Append(']');
            }
            else if (step.Name is { } name)
            {
                text.Append('.').Append(Problem(name) is null && name.Length <= 64 ? name : "…");
            }
        }

        return text.ToString();
    }

    private static ApiException Invalid(string? what, string field, string problem) =>
        ApiException.BadRequest(what is null
            ? $"{field} is not valid text: {problem}; send UTF-8 text of Unicode characters"
            : $"{what} holds invalid text at {field}: {problem}; send UTF-8 text of Unicode characters");

    private readonly record struct PathStep(bool IsArray, int Index, string? Name);
}
