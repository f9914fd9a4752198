using System.Text.Json;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// Maps positions in a piece of the document (a device object, or the skeleton around the devices) back to the
/// document, so errors name the line and byte the user sees.
/// </summary>
internal readonly record struct PositionMap(long Offset, long Line, long Column, SkeletonCut? Cut = null)
{
    public static PositionMap Of(DeviceSegment segment) => new(segment.DocumentOffset, segment.Line, segment.Column);

    public long ByteOffset(long local) =>
        Cut is { } cut && local >= cut.SkeletonOffset ? local - cut.SkeletonOffset + cut.ResumeOffset : Offset + local;

    public (long Line, long Column) LineAndColumn(long line, long column)
    {
        if (Cut is { } cut && (line > cut.Line || (line == cut.Line && column >= cut.Column)))
        {
            return line == cut.Line ? (cut.ResumeLine, cut.ResumeColumn + column - cut.Column) : (cut.ResumeLine + line - cut.Line, column);
        }

        return line == 0 ? (Line, Column + column) : (Line + line, column);
    }
}

/// <summary>Reading steps shared by the device and the document parsers: every failure becomes a <see cref="FactsFormatException"/>.</summary>
internal static class JsonSteps
{
    public static readonly JsonReaderOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static JsonTokenType Next(ref Utf8JsonReader reader, in PositionMap map)
    {
        try
        {
            if (!reader.Read())
            {
                throw new FactsFormatException("the facts document ends early");
            }
        }
        catch (JsonException e)
        {
            var where = "";
            if (e.LineNumber is { } line)
            {
                var (documentLine, column) = map.LineAndColumn(line, e.BytePositionInLine ?? 0);
                where = $"line {documentLine + 1}, position {column + 1}: ";
            }

            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new FactsFormatException(where + (cut > 0 ? message[..cut] : message), e);
        }

        return reader.TokenType;
    }

    /// <summary>Skips the value the reader stands on (an object or a list with everything in it).</summary>
    public static void Skip(ref Utf8JsonReader reader, in PositionMap map)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        var depth = reader.CurrentDepth;
        while (Next(ref reader, map) is not (JsonTokenType.EndObject or JsonTokenType.EndArray) || reader.CurrentDepth > depth)
        {
        }
    }

    public static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string message, in PositionMap map)
    {
        if (reader.TokenType != type)
        {
            throw Error(ref reader, message, map);
        }
    }

    public static FactsFormatException Error(ref Utf8JsonReader reader, string message, in PositionMap map) =>
        new($"at byte {map.ByteOffset(reader.TokenStartIndex)}: {message}");

    public static DateTimeOffset? ReadTime(ref Utf8JsonReader reader, string what, in PositionMap map)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time))
        {
            return time;
        }

        throw Error(ref reader, $"\"{what}\" must be a date and time such as 2026-01-05T08:00:00Z", map);
    }
}
