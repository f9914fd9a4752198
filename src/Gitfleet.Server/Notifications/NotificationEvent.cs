using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitfleet.Server.Notifications;

/// <summary>
/// One event the server tells its webhooks about. <see cref="Data"/> is the event's own fields; the body sent is
/// <c>{"id", "type", "time", "summary", "data": {...}}</c>, or for Slack-format endpoints <c>{"text": summary}</c>.
/// Events never carry secrets: configuration values are not part of any event.
/// </summary>
public sealed record NotificationEvent(string Type, string Summary, JsonObject Data)
{
    public const string RolloutPhaseChanged = "rollout.phase_changed";
    public const string RolloutPaused = "rollout.paused";
    public const string GateEvaluated = "gate.evaluated";
    public const string BranchStalled = "branch.stalled";
    public const string DeviceAdmission = "device.admission";

    public static readonly IReadOnlyList<string> Types = [RolloutPhaseChanged, RolloutPaused, GateEvaluated, BranchStalled, DeviceAdmission];

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    public string Body(string id, DateTimeOffset time, string format) => format == NotificationEndpoint.SlackFormat
        ? new JsonObject { ["text"] = Summary }.ToJsonString(Options)
        : new JsonObject
        {
            ["id"] = id,
            ["type"] = Type,
            ["time"] = time.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
            ["summary"] = Summary,
            ["data"] = Data.DeepClone(),
        }.ToJsonString(Options);
}
