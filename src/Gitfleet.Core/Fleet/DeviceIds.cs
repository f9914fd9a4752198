namespace Gitfleet.Core.Fleet;

/// <summary>Mender device ids are UUIDs (8-4-4-4-12 hexadecimal digits).</summary>
public static class DeviceIds
{
    public static bool IsValid(string? id) =>
        id is { Length: 36 } && Guid.TryParseExact(id, "D", out _);
}
