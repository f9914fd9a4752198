using System.Runtime.CompilerServices;

namespace Gitfleet.Core.Facts.Reading;

/// <summary>
/// The fast path through an object of plain strings as the facts endpoint writes it, <c>{"k":"v","k2":"v2"}</c>: no
/// whitespace, comments, escapes or control characters, every value a string, no trailing comma. Such an object is
/// valid JSON whatever else it holds, so nothing is checked twice; at anything else the walk stops
/// (<see cref="Ended"/> false) and the caller reads the object again from its start with the checking
/// <see cref="JsonCursor"/>, which finds the problem, if there is one, where it always did.
/// </summary>
internal ref struct PlainObject
{
    private readonly ReadOnlySpan<byte> json;
    private int pos;
    private Walk state;

    /// <param name="start">Where the object's '{' should be.</param>
    public PlainObject(ReadOnlySpan<byte> json, int start)
    {
        this.json = json;
        state = Walk.Stopped;
        if (start + 1 < json.Length && json[start] == (byte)'{')
        {
            switch (json[start + 1])
            {
                case (byte)'"':
                    pos = start + 1;
                    state = Walk.Members;
                    break;
                case (byte)'}':
                    pos = start + 2;
                    state = Walk.Ended;
                    break;
            }
        }
    }

    private enum Walk
    {
        Members,
        Ended,
        Stopped,
    }

    /// <summary>True when the walk reached the object's '}'.</summary>
    public readonly bool Ended => state == Walk.Ended;

    /// <summary>Where the object ends (after its '}'), once <see cref="Ended"/>.</summary>
    public readonly int End => pos;

    /// <summary>The next member's name and value (raw, and plain: there is nothing to unescape); false at the end or when the walk stops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = value = default;
        if (state != Walk.Members)
        {
            return false;
        }

        var nameStart = pos + 1;
        var nameEnd = Quote(nameStart);
        if (nameEnd < 0 || nameEnd + 2 >= json.Length || json[nameEnd + 1] != (byte)':' || json[nameEnd + 2] != (byte)'"')
        {
            return Stop();
        }

        var valueStart = nameEnd + 3;
        var valueEnd = Quote(valueStart);
        if (valueEnd < 0)
        {
            return Stop();
        }

        switch (valueEnd + 1 < json.Length ? json[valueEnd + 1] : (byte)0)
        {
            case (byte)',' when valueEnd + 2 < json.Length && json[valueEnd + 2] == (byte)'"':
                pos = valueEnd + 2;
                break;
            case (byte)'}':
                pos = valueEnd + 2;
                state = Walk.Ended;
                break;
            default:
                return Stop();
        }

        name = json[nameStart..nameEnd];
        value = json[valueStart..valueEnd];
        return true;
    }

    /// <summary>Walks to the end without looking at the members; true when the object is plain.</summary>
    public bool SkipToEnd()
    {
        while (Next(out _, out _))
        {
        }

        return Ended;
    }

    /// <summary>Where the plain string starting at <paramref name="start"/> closes; -1 at an escape, a control character or the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int Quote(int start)
    {
        if (start > json.Length)
        {
            return -1;
        }

        var special = JsonCursor.StringSpecial(json[start..]);
        return special >= 0 && json[start + special] == (byte)'"' ? start + special : -1;
    }

    private bool Stop()
    {
        state = Walk.Stopped;
        return false;
    }
}
