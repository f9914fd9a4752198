using System.Globalization;
using System.Text;

namespace Gitfleet.Server.Metrics;

/// <summary>Counters and a latency histogram kept with Interlocked operations, rendered as Prometheus text.</summary>
public sealed class ServerMetrics
{
    private static readonly double[] Bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private readonly Histogram device = new();
    private readonly Histogram management = new();
    private long checkInsIdle;
    private long checkInsOffered;

    public void CheckIn(bool offered)
    {
        if (offered)
        {
            Interlocked.Increment(ref checkInsOffered);
        }
        else
        {
            Interlocked.Increment(ref checkInsIdle);
        }
    }

    public void Request(bool deviceApi, long elapsedTicks, long frequency) =>
        (deviceApi ? device : management).Observe((double)elapsedTicks / frequency);

    public string Render(IReadOnlyDictionary<string, long> devicesByStatus, IReadOnlyDictionary<string, long> deploymentsByStatus)
    {
        ArgumentNullException.ThrowIfNull(devicesByStatus);
        ArgumentNullException.ThrowIfNull(deploymentsByStatus);
        var text = new StringBuilder();
        text.Append("# HELP gitfleet_devices Devices by authorization status.\n# TYPE gitfleet_devices gauge\n");
        foreach (var (status, count) in devicesByStatus.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_devices{{status=\"{status}\"}} {count}\n");
        }

        text.Append("# HELP gitfleet_checkins_total Device deployment checks (next), by outcome.\n# TYPE gitfleet_checkins_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"gitfleet_checkins_total{{outcome=\"nothing\"}} {Interlocked.Read(ref checkInsIdle)}\n");
        text.Append(CultureInfo.InvariantCulture, $"gitfleet_checkins_total{{outcome=\"offered\"}} {Interlocked.Read(ref checkInsOffered)}\n");
        text.Append("# HELP gitfleet_deployments Deployments by status.\n# TYPE gitfleet_deployments gauge\n");
        foreach (var (status, count) in deploymentsByStatus.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_deployments{{status=\"{status}\"}} {count}\n");
        }

        text.Append("# HELP gitfleet_request_duration_seconds Request latency by API.\n# TYPE gitfleet_request_duration_seconds histogram\n");
        device.Render(text, "device");
        management.Render(text, "management");
        return text.ToString();
    }

    private sealed class Histogram
    {
        private readonly long[] buckets = new long[Bounds.Length + 1];
        private long count;
        private long sumMicros;

        public void Observe(double seconds)
        {
            var index = 0;
            while (index < Bounds.Length && seconds > Bounds[index])
            {
                index++;
            }

            Interlocked.Increment(ref buckets[index]);
            Interlocked.Increment(ref count);
            Interlocked.Add(ref sumMicros, (long)(seconds * 1_000_000));
        }

        public void Render(StringBuilder text, string api)
        {
            long cumulative = 0;
            for (var i = 0; i < Bounds.Length; i++)
            {
                cumulative += Interlocked.Read(ref buckets[i]);
                text.Append(CultureInfo.InvariantCulture, $"gitfleet_request_duration_seconds_bucket{{api=\"{api}\",le=\"{Bounds[i]}\"}} {cumulative}\n");
            }

            var total = Interlocked.Read(ref count);
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_request_duration_seconds_bucket{{api=\"{api}\",le=\"+Inf\"}} {total}\n");
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_request_duration_seconds_sum{{api=\"{api}\"}} {Interlocked.Read(ref sumMicros) / 1_000_000.0}\n");
            text.Append(CultureInfo.InvariantCulture, $"gitfleet_request_duration_seconds_count{{api=\"{api}\"}} {total}\n");
        }
    }
}
