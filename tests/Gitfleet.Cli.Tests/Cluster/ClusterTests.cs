using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Device;
using Gitfleet.TestSupport.Haproxy;
using Gitfleet.TestSupport.Postgres;
using Gitfleet.TestSupport.Processes;
using Npgsql;
using Xunit.Abstractions;

namespace Gitfleet.Cli.Tests.Cluster;

/// <summary>
/// The cluster with real parts, as docs/operations.md sets it up: PostgreSQL 15, three `gitfleet server` processes
/// started together on an empty database (they race the migrations), HAProxy in front, and 250 simulated devices
/// (a `gitfleet simulate` process, 1 s polls) going through HAProxy, in a production rollout of three waves during
/// which the leader is killed with SIGKILL, a device rejected through one replica must be refused by the two others
/// within a second, PostgreSQL is restarted, and every replica is restarted in turn (SIGTERM, start again) without a
/// device request answered 5xx. The rollout completes, no device gets a deployment twice (checked
/// in the database), and every status acknowledged before a fault is still there at the end. Kept small to fit the
/// suite (about 2 minutes on a quiet 2-core machine); bench/cluster.sh runs the same faults with more devices.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const int Devices = 250;
    private const string AdminToken = "cluster-test-admin-token-0123456789abcdef";
    private const string DeviceType = "raspberrypi4";
    private static readonly TimeSpan FailoverTarget = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RejectionTarget = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one phase (registration, a part of the rollout) may take: seconds on a quiet 2-core machine, a few
    /// minutes where other engineers' builds share the cores.
    /// </summary>
    private static readonly TimeSpan PhaseLimit = TimeSpan.FromMinutes(4);

    [SkippableClusterFact]
    public async Task Three_replicas_behind_HAProxy_survive_a_killed_leader_a_rolling_restart_a_rejection_on_another_replica_and_a_PostgreSQL_restart_mid_rollout()
    {
        var total = Stopwatch.StartNew();
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync("cluster");
        using var work = new TempDirectory("gitfleet-cluster");
        var fleet = await FleetAsync(work);
        var shared = Directory.CreateDirectory(work.Combine("shared-artifacts")).FullName;
        var environment = new Dictionary<string, string?>
        {
            ["GITFLEET_STORE_PASSWORD"] = postgres.Password,
            ["GITFLEET_ADMIN_TOKEN"] = AdminToken,
            ["GITFLEET_ADMIN_PASSWORD"] = "cluster-test-password",
            ["GITFLEET_RECONCILE_INTERVAL"] = "1s",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        string[] arguments = ["--store", postgres.Url(database), "--artifacts-dir", shared, "--fleet-repo", fleet.Path, "--fleet-branches", "production", "--fleet-poll-interval", "1s"];
        var replicas = Enumerable.Range(1, 3).Select(i => new ReplicaProcess($"replica-{i}", arguments, environment)).ToList();
        BackgroundProcess? simulator = null;
        try
        {
            replicas.ForEach(r => r.Start()); // together, on an empty database
            var certificate = await WaitForCertificateAsync(replicas);
            using var probe = new HttpClient(PinnedCertificate.Handler(certificate)) { Timeout = TimeSpan.FromSeconds(5) };
            await AllReadyAsync(replicas, probe, TimeSpan.FromSeconds(90));
            replicas.Select(r => File.ReadAllText(r.CertificatePath)).Distinct().Count().ShouldBe(1, "one certificate for the cluster");
            (await ScalarAsync<long>(postgres, database, "SELECT COUNT(*) FROM schema_migrations")).ShouldBeGreaterThan(0);

            using var haproxy = await HaproxyProcess.StartAsync(replicas.Select(r => (r.Name, r.Port)).ToList());
            using var admin = new HttpClient(PinnedCertificate.Handler(certificate)) { BaseAddress = haproxy.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            using (var upload = await UploadAsync(admin, await ArtifactAsync(work, "release-2")))
            {
                upload.IsSuccessStatusCode.ShouldBeTrue(await upload.Content.ReadAsStringAsync());
            }

            simulator = new BackgroundProcess("dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "gitfleet.dll"), "simulate", "--server", haproxy.BaseUri.ToString().TrimEnd('/'), "--ca-cert", certificate,
                "--devices", Devices.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device-types", DeviceType, "--initial-image", $"{DeviceType}=release-1",
                "--poll-interval", "1", "--retry-interval", "1", "--inventory-interval", "1h", "--install-time", "1", "--reboot-time", "1",
                "--preauthorize-with-token", "env:GITFLEET_TOKEN", "--summary-interval", "1", "--connections", "16", "--identity-prefix", "cluster",
            ], new Dictionary<string, string?> { ["GITFLEET_TOKEN"] = AdminToken });
            await WaitForStatusAsync(admin, "the simulated fleet registered and converged on release-1", s => Count(s, "total") == Devices && Count(s, "converged") == Devices, PhaseLimit, simulator);

            // One production rollout, four faults in its course.
            var sha = fleet.Write("group_vars/all.yml", Image("release-2")).Commit("OS image release-2");

            // 1. The leader killed (SIGKILL).
            var acknowledged = await MidRolloutAsync(admin, postgres, database, sha, Devices / 10, simulator);
            var leader = await LeaderAsync(replicas, probe);
            var clock = Stopwatch.StartNew();
            leader.Kill();
            ReplicaProcess? next = null;
            while (next is null)
            {
                clock.Elapsed.ShouldBeLessThan(FailoverTarget, "no replica took over from the killed leader");
                await Task.Delay(100);
                next = await LeaderOrNullAsync(replicas.Where(r => r != leader), probe);
            }

            output.WriteLine($"leader {leader.Name} killed with {acknowledged.Count} successes acknowledged; {next.Name} leads after {clock.Elapsed.TotalSeconds:F1} s");
            leader.Start();
            await AllReadyAsync(replicas, probe, TimeSpan.FromSeconds(60));

            // 2. A device rejected through one replica, refused by the two others within a second.
            acknowledged.UnionWith(await MidRolloutAsync(admin, postgres, database, sha, Devices / 5, simulator));
            await RejectionReachesTheOthersAsync(replicas, certificate);

            // 3. PostgreSQL restarted: replicas not ready meanwhile, back on their own.
            acknowledged.UnionWith(await MidRolloutAsync(admin, postgres, database, sha, Devices * 3 / 10, simulator));
            await postgres.StopAsync();
            foreach (var replica in replicas)
            {
                await Wait.UntilAsync(() => NotReady(replica, probe), TimeSpan.FromSeconds(15), () => $"{replica.Name} still says it is ready without PostgreSQL");
            }

            await Task.Delay(2000);
            await postgres.StartAgainAsync();
            await AllReadyAsync(replicas, probe, TimeSpan.FromSeconds(60));
            output.WriteLine($"PostgreSQL restarted with {acknowledged.Count} successes acknowledged; every replica ready again");

            // 4. A rolling restart: each replica stopped (SIGTERM) and started again in turn while the devices check in. It
            // comes last because it takes longest (about 18 s on a quiet machine): a fault after it would find the rollout done.
            acknowledged.UnionWith(await MidRolloutAsync(admin, postgres, database, sha, Devices / 2, simulator));
            await RollingRestartAsync(replicas, probe, simulator);
            var restarted = await SucceededAsync(postgres, database, sha);
            acknowledged.Except(restarted).ShouldBeEmpty("statuses acknowledged before the rolling restart were lost");
            acknowledged.UnionWith(restarted);
            var leading = await LeaderAsync(replicas, probe);
            var converged = Count(await WaitForStatusAsync(admin, "the status after the rolling restart", s => Applied(s) == sha, PhaseLimit, simulator), "converged");
            await WaitForStatusAsync(admin, $"the rollout going on under {leading.Name} after the rolling restart (past {converged} converged)",
                s => Applied(s) == sha && Count(s, "converged") > Math.Min(converged, Devices - 1), PhaseLimit, simulator);

            await CompletedAsync(admin, postgres, database, sha, acknowledged, simulator);
            output.WriteLine($"the whole test took {total.Elapsed.TotalSeconds:F0} s");
        }
        catch
        {
            foreach (var replica in replicas)
            {
                output.WriteLine($"--- {replica.Name}:\n{Tail(replica.Output)}");
            }

            output.WriteLine($"--- simulator:\n{Tail(simulator?.Output ?? "")}");
            throw;
        }
        finally
        {
            simulator?.Dispose();
            replicas.ForEach(r => r.Dispose());
        }
    }

    /// <summary>
    /// Each replica in turn stopped with SIGTERM (a clean stop: the leader releases its lease) and started again, the
    /// next one only once it is ready, while the simulated devices check in through HAProxy. HAProxy's health checks
    /// and retries (a connection refused goes to another replica) must hide it: not one device request answered with
    /// a 5xx meanwhile, counted by the simulator (its summary line every second).
    /// </summary>
    private async Task RollingRestartAsync(IReadOnlyList<ReplicaProcess> replicas, HttpClient probe, BackgroundProcess simulator)
    {
        var before = await ServerErrorsAsync(simulator);
        var clock = Stopwatch.StartNew();
        foreach (var replica in replicas)
        {
            await replica.StopAsync();
            replica.Start();
            await AllReadyAsync(replicas, probe, TimeSpan.FromSeconds(90));
        }

        var after = await ServerErrorsAsync(simulator);
        output.WriteLine($"rolling restart of the three replicas in {clock.Elapsed.TotalSeconds:F0} s: device requests answered 5xx meanwhile {after.ServerErrors - before.ServerErrors}, network errors (retried by the devices) {after.NetworkErrors - before.NetworkErrors}");
        (after.ServerErrors - before.ServerErrors).ShouldBe(0, "a device request failed with a 5xx during the rolling restart:\n" + simulator.Tail());
    }

    /// <summary>The simulator's error counts so far, from a summary line printed after this call (they are cumulative).</summary>
    private static async Task<(long NetworkErrors, long ServerErrors)> ServerErrorsAsync(BackgroundProcess simulator)
    {
        var lines = SummaryLines(simulator.Output);
        await Wait.UntilAsync(() => SummaryLines(simulator.Output) > lines, TimeSpan.FromSeconds(30), () => "the simulator printed no summary line:\n" + simulator.Tail());
        var last = simulator.Output.Split('\n').Last(l => l.Contains(" | check-ins ", StringComparison.Ordinal));
        var errors = System.Text.RegularExpressions.Regex.Match(last, @"\| errors (\d+) network, (\d+) 5xx");
        return errors.Success ? (long.Parse(errors.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), long.Parse(errors.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) : (0, 0);
    }

    private static int SummaryLines(string output) => output.Split('\n').Count(l => l.Contains(" | check-ins ", StringComparison.Ordinal));

    /// <summary>
    /// A device of its own (not in the fleet: no device type) authenticates through the second replica, is rejected
    /// through the first, and must be refused by the second and third on its next request within a second of the
    /// rejection's answer.
    /// </summary>
    private async Task RejectionReachesTheOthersAsync(IReadOnlyList<ReplicaProcess> replicas, string certificate)
    {
        HttpClient Client(ReplicaProcess replica) => new(PinnedCertificate.Handler(certificate)) { BaseAddress = replica.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var adminA = Client(replicas[0]);
        adminA.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var device = new SimulatedDevice(Client(replicas[1]));
        using (var first = await device.RequestAuthAsync())
        {
            first.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized, "a new device waits for admission");
        }

        var (deviceId, authSetId) = await FindPendingDeviceAsync(adminA, device);
        using (var accept = await adminA.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "accepted" }))
        {
            accept.StatusCode.ShouldBe(System.Net.HttpStatusCode.NoContent);
        }

        var token = await device.AuthenticateAsync();
        using var third = Client(replicas[2]);
        // The admission reaches replica-3 through the change feed too (within a second on a quiet machine).
        var admitted = Stopwatch.StartNew();
        while (await NextStatusAsync(third, token) != System.Net.HttpStatusCode.NoContent)
        {
            admitted.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5), "a token issued by one replica is valid on the others once the admission reached them");
            await Task.Delay(20);
        }

        // Timed from the rejection's answer (it is committed then) to the other replicas' refusal.
        var request = Stopwatch.StartNew();
        using (var reject = await adminA.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "rejected" }))
        {
            reject.StatusCode.ShouldBe(System.Net.HttpStatusCode.NoContent);
        }

        var answered = request.Elapsed;
        var clock = Stopwatch.StartNew();

        foreach (var other in new[] { device.Http, third })
        {
            while (await NextStatusAsync(other, token) != System.Net.HttpStatusCode.Unauthorized)
            {
                clock.Elapsed.ShouldBeLessThan(RejectionTarget, "the rejection reached another replica too late");
                await Task.Delay(20);
            }
        }

        output.WriteLine($"a device rejected through replica-1 (answered in {answered.TotalMilliseconds:F0} ms) was refused by replica-2 and replica-3 {clock.Elapsed.TotalMilliseconds:F0} ms after the answer");
    }

    private static async Task<System.Net.HttpStatusCode> NextStatusAsync(HttpClient replica, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next")
        {
            Content = JsonContent.Create(new { device_provides = new { artifact_name = "release-1", device_type = "other" } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await replica.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<(string DeviceId, string AuthSetId)> FindPendingDeviceAsync(HttpClient admin, SimulatedDevice device)
    {
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500");
        foreach (var candidate in devices.EnumerateArray())
        {
            if (candidate.GetProperty("identity_data").TryGetProperty("mac", out var mac) && mac.GetString() == device.Mac)
            {
                return (candidate.GetProperty("id").GetString()!, candidate.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
            }
        }

        throw new InvalidOperationException($"device {device.Mac} is not listed");
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));

    private static string Image(string name) => $"os_image:\n  - device_type: {DeviceType}\n    image_name: {name}\n";

    private static async Task<GitTestRepository> FleetAsync(TempDirectory work)
    {
        var fleet = new GitTestRepository("production");
        fleet.Write("inventory.yml", $$"""
            all:
              children:
                field:
                  selector:
                    matchExpressions:
                      - {key: device_type, operator: In, values: [{{DeviceType}}]}
                  vars:
                    subscribed_branch: production
            """);
        fleet.Write("group_vars/all.yml", Image("release-1"));
        fleet.Write("gitfleet.yml", """
            branches:
              production:
                rollout:
                  waves: [10%, 40%, 100%]
                  failureThreshold: 5%
                  soak: 1s
            """);
        fleet.Commit("Fleet on release-1");
        await Task.CompletedTask;
        return fleet;
    }

    private static async Task<string> ArtifactAsync(TempDirectory work, string name)
    {
        var image = work.Combine(name + ".img");
        await File.WriteAllBytesAsync(image, new byte[4096]);
        var path = work.Combine(name + ".mender");
        await Command.CheckedAsync("mender-artifact", "write", "rootfs-image", "-t", DeviceType, "-n", name, "-f", image, "-o", path);
        return path;
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient admin, string path)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
        };
        var file = new StreamContent(File.OpenRead(path));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "artifact", Path.GetFileName(path));
        return await admin.PostAsync("/api/management/v1/deployments/artifacts", form);
    }

    private static async Task<string> WaitForCertificateAsync(IReadOnlyList<ReplicaProcess> replicas)
    {
        await Wait.UntilAsync(() => replicas.All(r => File.Exists(r.CertificatePath)) || replicas.Any(r => !r.Running), TimeSpan.FromSeconds(90),
            () => "the replicas wrote no certificate:\n" + string.Join("\n", replicas.Select(r => Tail(r.Output))));
        replicas.Where(r => !r.Running).ShouldBeEmpty("a replica died at start: " + string.Join("\n", replicas.Where(r => !r.Running).Select(r => Tail(r.Output))));
        return replicas[0].CertificatePath;
    }

    private static async Task AllReadyAsync(IReadOnlyList<ReplicaProcess> replicas, HttpClient probe, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        foreach (var replica in replicas)
        {
            while ((await replica.ReadyAsync(probe))?.GetProperty("status").GetString() != "ready")
            {
                if (DateTime.UtcNow > deadline || !replica.Running)
                {
                    throw new TimeoutException($"{replica.Name} is not ready:\n{Tail(replica.Output)}");
                }

                await Task.Delay(200);
            }
        }
    }

    private static bool NotReady(ReplicaProcess replica, HttpClient probe) =>
        replica.ReadyAsync(probe).GetAwaiter().GetResult()?.GetProperty("status").GetString() != "ready";

    private static async Task<ReplicaProcess?> LeaderOrNullAsync(IEnumerable<ReplicaProcess> replicas, HttpClient probe)
    {
        foreach (var replica in replicas)
        {
            if ((await replica.ReadyAsync(probe))?.GetProperty("role").GetString() == "leader")
            {
                return replica;
            }
        }

        return null;
    }

    private static async Task<ReplicaProcess> LeaderAsync(IReadOnlyList<ReplicaProcess> replicas, HttpClient probe)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await LeaderOrNullAsync(replicas, probe) is { } leader)
            {
                return leader;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("no replica leads");
    }

    private static int Count(JsonElement status, string name) =>
        status.TryGetProperty("devices", out var devices) && devices.TryGetProperty(name, out var value) ? value.GetInt32() : -1;

    private static string? Applied(JsonElement status) =>
        status.TryGetProperty("applied_commit", out var commit) && commit.ValueKind == JsonValueKind.Object ? commit.GetProperty("sha").GetString() : null;

    private async Task<JsonElement> WaitForStatusAsync(HttpClient admin, string what, Func<JsonElement, bool> done, TimeSpan limit, BackgroundProcess simulator)
    {
        var clock = Stopwatch.StartNew();
        JsonElement status = default;
        while (clock.Elapsed < limit)
        {
            simulator.HasExited.ShouldBeFalse("the simulator ended:\n" + Tail(simulator.Output));
            try
            {
                status = await admin.GetFromJsonAsync<JsonElement>("/api/management/v1/gitfleet/branches/production");
                if (done(status))
                {
                    output.WriteLine($"{what} after {clock.Elapsed.TotalSeconds:F0} s");
                    return status;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // A replica going away mid-request: HAProxy sends the next one elsewhere.
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"not reached in {limit}: {what}; last status {status}");
    }

    /// <summary>Waits until <paramref name="converged"/> devices run the commit's image, and returns the device deployments acknowledged as successful so far.</summary>
    private async Task<HashSet<string>> MidRolloutAsync(HttpClient admin, PostgresServer postgres, string database, string sha, int converged, BackgroundProcess simulator)
    {
        await WaitForStatusAsync(admin, $"the rollout of {sha[..8]} reached {converged} devices",
            s => Applied(s) == sha && Count(s, "converged") >= converged, PhaseLimit, simulator);
        return await SucceededAsync(postgres, database, sha);
    }

    private async Task CompletedAsync(HttpClient admin, PostgresServer postgres, string database, string sha, HashSet<string> acknowledged, BackgroundProcess simulator)
    {
        await WaitForStatusAsync(admin, $"the rollout of {sha[..8]} completed", s => Applied(s) == sha && Count(s, "converged") == Devices, PhaseLimit, simulator);
        var perDevice = await ScalarAsync<long>(postgres, database, $"""
            SELECT COUNT(*) FROM (SELECT dd.device_id FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id
            WHERE d.trace_commit = '{sha}' GROUP BY dd.device_id HAVING COUNT(*) > 1) twice
            """);
        perDevice.ShouldBe(0, "a device got a deployment of the commit twice");
        (await ScalarAsync<long>(postgres, database, $"SELECT COUNT(DISTINCT dd.device_id) FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id WHERE d.trace_commit = '{sha}'"))
            .ShouldBe(Devices);
        var after = await SucceededAsync(postgres, database, sha);
        acknowledged.Except(after).ShouldBeEmpty("statuses acknowledged before the fault were lost");
        output.WriteLine($"{sha[..8]}: {Devices} devices, one deployment each; the {acknowledged.Count} successes acknowledged before the fault are all there");
    }

    private static async Task<HashSet<string>> SucceededAsync(PostgresServer postgres, string database, string sha)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT dd.id FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id WHERE d.trace_commit = @sha AND dd.status = 'success'", connection);
        command.Parameters.AddWithValue("sha", sha);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static Task<T> ScalarAsync<T>(PostgresServer postgres, string database, string sql) => postgres.ScalarAsync<T>(sql, database);
}

/// <summary>Skipped, with the reason, where PostgreSQL, HAProxy or mender-artifact is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SkippableClusterFactAttribute : FactAttribute
{
    public SkippableClusterFactAttribute()
    {
        var reason = !OperatingSystem.IsLinux() ? "Linux only"
            : PostgresServer.Unavailable() ?? HaproxyProcess.Unavailable() ?? (File.Exists("/usr/bin/mender-artifact") ? null : "mender-artifact is not installed");
        if (reason is not null)
        {
            Skip = reason;
        }
    }
}
