using Prometheus;

namespace Gitfleet.Server.Metrics;

/// <summary>
/// The server's Prometheus metrics, kept by prometheus-net in a registry of this server's own (several servers in
/// one process, as in tests, never share series). Event metrics (check-ins, request latency, deployment
/// durations, bytes served, store writes) are recorded where they happen; state metrics (devices, deployments,
/// branches, rollouts) are read at scrape time by <see cref="FleetGauges"/>. docs/monitoring/ lists them all.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>From a minute to a day: an OS update over a cellular link takes minutes to hours.</summary>
    private static readonly double[] DeploymentBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400];

    private readonly Counter checkIns;
    private readonly Counter.Child checkInsIdle;
    private readonly Counter.Child checkInsOffered;
    private readonly Histogram.Child deviceRequests;
    private readonly Histogram.Child managementRequests;
    private readonly Histogram.Child dashboardRequests;
    private readonly Histogram deploymentDurations;
    private readonly Counter bytesServed;
    private readonly Histogram.Child storeWrites;

    public ServerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        checkIns = Factory.CreateCounter("gitfleet_checkins_total", "Device deployment checks (next), by outcome.", ["outcome"]);
        checkInsIdle = checkIns.WithLabels("nothing");
        checkInsOffered = checkIns.WithLabels("offered");
        var requests = Factory.CreateHistogram("gitfleet_request_duration_seconds", "Request latency by API.",
            new HistogramConfiguration { LabelNames = ["api"], Buckets = LatencyBuckets });
        deviceRequests = requests.WithLabels("device");
        managementRequests = requests.WithLabels("management");
        dashboardRequests = requests.WithLabels("dashboard");
        deploymentDurations = Factory.CreateHistogram("gitfleet_deployment_duration_seconds",
            "How long a device took from its first download to the end of a deployment, by kind (os, configuration) and outcome (success, failure).",
            new HistogramConfiguration { LabelNames = ["kind", "outcome"], Buckets = DeploymentBuckets });
        bytesServed = Factory.CreateCounter("gitfleet_artifact_bytes_served_total", "Artifact bytes sent through download links.");
        storeWrites = Factory.CreateHistogram("gitfleet_store_write_duration_seconds", "Store write transactions, from waiting for the writer to commit.",
            new HistogramConfiguration { LabelNames = ["store"], Buckets = LatencyBuckets }).WithLabels("sqlite");
        Leader = Factory.CreateGauge("gitfleet_leader", "1 while this server decides rollouts and watches git (a single server always does).");
        Leader.Set(1);
    }

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }

    /// <summary>The leader-status hook: a single server is always the leader; replicas with an election set it.</summary>
    public Gauge Leader { get; }

    public void CheckIn(bool offered) => (offered ? checkInsOffered : checkInsIdle).Inc();

    public void Request(bool deviceApi, long elapsedTicks, long frequency) =>
        (deviceApi ? deviceRequests : managementRequests).Observe((double)elapsedTicks / frequency);

    public void DashboardRequest(TimeSpan elapsed) => dashboardRequests.Observe(elapsed.TotalSeconds);

    public void DeploymentFinished(string kind, string outcome, TimeSpan duration) =>
        deploymentDurations.WithLabels(kind, outcome).Observe(Math.Max(0, duration.TotalSeconds));

    public void BytesServed(long bytes)
    {
        if (bytes > 0)
        {
            bytesServed.Inc(bytes);
        }
    }

    public void StoreWrite(TimeSpan elapsed) => storeWrites.Observe(elapsed.TotalSeconds);

    /// <summary>Writes every metric in Prometheus text format (state metrics are read first).</summary>
    public Task ExportAsync(Stream stream, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(stream, cancellationToken);
}
