using System.Globalization;
using System.Text;
using System.Text.Json;
using Gitfleet.Simulator.Devices;

namespace Gitfleet.Simulator.Statistics;

/// <summary>A snapshot of a running simulation: what the demo shows and the CLI prints.</summary>
public sealed record SimulatorStatistics
{
    public required DateTimeOffset Timestamp { get; init; }

    public required int Devices { get; init; }

    public required IReadOnlyDictionary<SimulatedDeviceState, long> DevicesByState { get; init; }

    public required IReadOnlyDictionary<SimulatorEvent, long> Events { get; init; }

    /// <summary>Check-ins (next) per second over the last five whole seconds.</summary>
    public required double CheckInsPerSecond { get; init; }

    public required double RequestsPerSecond { get; init; }

    /// <summary>Since the start; subtract an earlier snapshot (<see cref="LatencySnapshot.Since"/>) for a window.</summary>
    public required LatencySnapshot CheckInLatency { get; init; }

    public required LatencySnapshot RequestLatency { get; init; }

    public required LatencySnapshot SchedulerLag { get; init; }

    /// <summary>The last unexpected error inside a device step, if any (also counted as <see cref="SimulatorEvent.StepErrors"/>).</summary>
    public string? LastError { get; init; }

    public long this[SimulatorEvent what] => Events.GetValueOrDefault(what);

    public long this[SimulatedDeviceState state] => DevicesByState.GetValueOrDefault(state);

    /// <summary>One line for a terminal or a log, e.g. for the CLI's periodic summary.</summary>
    public string SummaryLine(SimulatorStatistics? previous = null)
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.Append(culture, $"{Timestamp:HH:mm:ss} devices {Devices}:");
        foreach (var (state, count) in DevicesByState)
        {
            if (count > 0)
            {
                text.Append(culture, $" {Name(state)} {count}");
            }
        }

        var latency = previous is null ? CheckInLatency : CheckInLatency.Since(previous.CheckInLatency);
        text.Append(culture, $" | check-ins {CheckInsPerSecond:F0}/s");
        if (latency.Count > 0)
        {
            text.Append(culture, $" (p50 {Ms(latency.Percentile(50))}, p99 {Ms(latency.Percentile(99))})");
        }

        text.Append(culture, $" | deployments: {this[SimulatorEvent.DeploymentsSucceeded]} success, {this[SimulatorEvent.DeploymentsFailed]} failure, ");
        text.Append(culture, $"{this[SimulatorEvent.DeploymentsAlreadyInstalled]} already-installed, {this[SimulatorEvent.DeploymentsAborted]} aborted");
        var errors = this[SimulatorEvent.NetworkErrors] + this[SimulatorEvent.ServerErrors] + this[SimulatorEvent.UnexpectedResponses] + this[SimulatorEvent.StepErrors];
        if (errors > 0)
        {
            text.Append(culture, $" | errors {this[SimulatorEvent.NetworkErrors]} network, {this[SimulatorEvent.ServerErrors]} 5xx, {this[SimulatorEvent.UnexpectedResponses]} other");
            if (this[SimulatorEvent.StepErrors] > 0)
            {
                text.Append(culture, $", {this[SimulatorEvent.StepErrors]} simulator ({LastError})");
            }
        }

        var lag = previous is null ? SchedulerLag : SchedulerLag.Since(previous.SchedulerLag);
        if (lag.Count > 0 && lag.Percentile(99) > TimeSpan.FromSeconds(1))
        {
            text.Append(culture, $" | behind schedule: p99 {lag.Percentile(99).TotalSeconds:F1} s");
        }

        return text.ToString();
    }

    /// <summary>The snapshot as one JSON object (snake_case names; latencies in milliseconds) for scripts and benchmarks.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var names = JsonNamingPolicy.SnakeCaseLower;
        writer.WriteStartObject();
        writer.WriteString("timestamp", Timestamp);
        writer.WriteNumber("devices", Devices);
        writer.WriteStartObject("devices_by_state");
        foreach (var (state, count) in DevicesByState)
        {
            writer.WriteNumber(names.ConvertName(state.ToString()), count);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("events");
        foreach (var (what, count) in Events)
        {
            writer.WriteNumber(names.ConvertName(what.ToString()), count);
        }

        writer.WriteEndObject();
        if (LastError is not null)
        {
            writer.WriteString("last_error", LastError);
        }

        writer.WriteNumber("check_ins_per_second", Math.Round(CheckInsPerSecond, 1));
        writer.WriteNumber("requests_per_second", Math.Round(RequestsPerSecond, 1));
        foreach (var (name, latency) in new[] { ("check_in_latency_ms", CheckInLatency), ("request_latency_ms", RequestLatency), ("scheduler_lag_ms", SchedulerLag) })
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("count", latency.Count);
            foreach (var percent in new[] { 50, 90, 99 })
            {
                writer.WriteNumber("p" + percent.ToString(CultureInfo.InvariantCulture), Math.Round(latency.Percentile(percent).TotalMilliseconds, 2));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + " ms";

    private static string Name(SimulatedDeviceState state) => state switch
    {
        SimulatedDeviceState.PendingAuthorization => "pending",
        _ => state.ToString().ToLowerInvariant(),
    };
}
