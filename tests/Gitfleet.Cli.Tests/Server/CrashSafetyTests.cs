using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;

namespace Gitfleet.Cli.Tests.Server;

/// <summary>
/// The group-commit writer with the real server process: devices write (auth requests, inventory) while the
/// server is killed with SIGKILL at random points and restarted on the same data dir. Every write answered with
/// 2xx is in the store afterwards; no refused write is.
/// </summary>
public sealed class CrashSafetyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Token = "crash-test-admin-token-0123456789abcdef";
    private const int Devices = 24;
    private const int Rounds = 3;

    /// <summary>Writes acknowledged in a round before the kill may come (then it comes at a random point, 0-400 ms later).</summary>
    private const int AcknowledgedBeforeKill = 2 * Devices;

    private static readonly TimeSpan WritesTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Every_acknowledged_write_survives_a_kill_9_and_no_refused_one_is_stored()
    {
        using var data = new TempDirectory("gitfleet-crash");
        var random = new Random(20261206);
        var devices = Enumerable.Range(0, Devices).Select(_ => new Writer()).ToList();
        var server = await ServerProcess.StartAsync(data.Path);
        try
        {
            using (var admin = server.Client(Token))
            {
                foreach (var writer in devices)
                {
                    writer.Device = new SimulatedDevice(server.Client(null));
                    using var created = await admin.PostAsJsonAsync("/api/management/v2/devauth/devices",
                        new { identity_data = new Dictionary<string, string> { ["mac"] = writer.Device.Mac }, pubkey = writer.Device.PublicKeyPem });
                    created.StatusCode.ShouldBe(HttpStatusCode.Created);
                }
            }

            for (var round = 0; round < Rounds; round++)
            {
                // The kill comes after a number of acknowledged writes, not after a fixed time (on a loaded machine a
                // freshly started server may answer nothing for seconds), then at a random point while writes go on.
                var before = devices.Sum(d => d.Acknowledged);
                using var stop = new CancellationTokenSource();
                var running = devices.Select(writer => Task.Run(() => writer.RunAsync(server, stop.Token))).ToList();
                var waited = Stopwatch.StartNew();
                while (devices.Sum(d => d.Acknowledged) - before < AcknowledgedBeforeKill && waited.Elapsed < WritesTimeout && !running.All(r => r.IsCompleted))
                {
                    await Task.Delay(10);
                }

                var acknowledged = devices.Sum(d => d.Acknowledged) - before;
                var delay = random.Next(0, 400);
                await Task.Delay(delay);
                server.Kill();
                output.WriteLine($"round {round}: {acknowledged} writes acknowledged {waited.ElapsedMilliseconds - delay} ms after the server started listening, killed {delay} ms later ({devices.Sum(d => d.Acknowledged) - before} by then)");
                await stop.CancelAsync();
                await Task.WhenAll(running);
                acknowledged.ShouldBeGreaterThanOrEqualTo(AcknowledgedBeforeKill, $"round {round}: the devices' writes were acknowledged within {WritesTimeout.TotalSeconds} s");
                server = await ServerProcess.StartAsync(data.Path);
            }

            devices.Sum(d => d.Acknowledged).ShouldBeGreaterThan(Rounds * AcknowledgedBeforeKill - 1, "the devices wrote between the kills");
            using var check = server.Client(Token);
            foreach (var writer in devices)
            {
                var id = await DeviceIdAsync(check, writer.Device!.Mac);
                id.ShouldNotBeNull($"device {writer.Device.Mac} was accepted before a kill");
                var stored = await SequenceAsync(check, id);
                if (writer.LastAcknowledged > 0)
                {
                    stored.ShouldNotBeNull();
                    stored.Value.ShouldBeGreaterThanOrEqualTo(writer.LastAcknowledged, $"device {writer.Device.Mac}: an acknowledged inventory is stored");
                    stored.Value.ShouldBeLessThanOrEqualTo(writer.LastSent);
                }

                if (stored is { } value)
                {
                    writer.Refused.ShouldNotContain(value, "a refused write is never stored");
                }

                // Devices that had a token before a kill still authenticate: their acceptance was committed.
                if (writer.Authenticated)
                {
                    using var http = server.Client(null);
                    using var again = await Writer.AuthenticateAsync(http, writer.Device, CancellationToken.None);
                    again.StatusCode.ShouldBe(HttpStatusCode.OK);
                }
            }
        }
        finally
        {
            server.Kill();
            foreach (var writer in devices)
            {
                writer.Device?.Dispose();
            }
        }
    }

    private static async Task<string?> DeviceIdAsync(HttpClient admin, string mac)
    {
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500");
        return list.EnumerateArray().Where(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == mac)
            .Select(d => d.GetProperty("id").GetString()).FirstOrDefault();
    }

    private static async Task<int?> SequenceAsync(HttpClient admin, string deviceId)
    {
        var device = await admin.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{deviceId}");
        foreach (var attribute in device.GetProperty("attributes").EnumerateArray())
        {
            if (attribute.GetProperty("name").GetString() == "seq")
            {
                return int.Parse(attribute.GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>One device writing in sequence: an auth request, then inventories numbered 1, 2, 3 ... and now and then a refused one.</summary>
    private sealed class Writer
    {
        public SimulatedDevice? Device { get; set; }

        public bool Authenticated { get; private set; }

        public int LastSent { get; private set; }

        public int LastAcknowledged { get; private set; }

        public int Acknowledged => Volatile.Read(ref acknowledged);

        private int acknowledged;

        public List<int> Refused { get; } = [];

        /// <summary>A signed auth request as mender-client sends it, to whichever server <paramref name="http"/> points at.</summary>
        public static async Task<HttpResponseMessage> AuthenticateAsync(HttpClient http, SimulatedDevice device, CancellationToken cancellationToken)
        {
            var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id_data = device.IdData, tenant_token = "", pubkey = device.PublicKeyPem }) + "\n");
            using var auth = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests") { Content = new ByteArrayContent(body) };
            auth.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            auth.Headers.Add("X-MEN-Signature", Convert.ToBase64String(device.Sign(body)));
            return await http.SendAsync(auth, cancellationToken);
        }

        public async Task RunAsync(ServerProcess server, CancellationToken stop)
        {
            using var http = server.Client(null);
            try
            {
                using var answer = await AuthenticateAsync(http, Device!, stop);
                if (answer.StatusCode != HttpStatusCode.OK)
                {
                    return;
                }

                var token = await answer.Content.ReadAsStringAsync(stop);
                Authenticated = true;
                while (!stop.IsCancellationRequested)
                {
                    var seq = ++LastSent;
                    var refused = seq % 7 == 0;
                    var attributes = new List<object>
                    {
                        new { name = "device_type", value = "raspberrypi4" },
                        new { name = "seq", value = seq.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    };
                    if (refused)
                    {
                        attributes.Add(new { name = "", value = "a nameless attribute is refused" });
                    }

                    using var put = new HttpRequestMessage(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes") { Content = JsonContent.Create(attributes) };
                    put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var response = await http.SendAsync(put, stop);
                    if (response.IsSuccessStatusCode)
                    {
                        refused.ShouldBeFalse();
                        LastAcknowledged = seq;
                        Interlocked.Increment(ref acknowledged);
                    }
                    else
                    {
                        ((int)response.StatusCode).ShouldBeInRange(400, 499, "input at fault is refused with a 4xx, never a 5xx");
                        Refused.Add(seq);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // The server was killed mid-request: the write's fate is unknown (neither acknowledged nor refused).
            }
        }
    }

    /// <summary>`gitfleet server` as its own process (the CLI built beside the tests), on a free port.</summary>
    private sealed class ServerProcess
    {
        private readonly Process process;
        private bool killed;

        private ServerProcess(Process process, Uri baseUri, string certificate)
        {
            this.process = process;
            BaseUri = baseUri;
            Certificate = certificate;
        }

        public Uri BaseUri { get; }

        public string Certificate { get; }

        public static async Task<ServerProcess> StartAsync(string dataDirectory)
        {
            var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "gitfleet"))
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "server", "--data", dataDirectory, "--urls", "https://127.0.0.1:0" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["GITFLEET_ADMIN_TOKEN"] = Token;
            start.Environment["GITFLEET_ADMIN_PASSWORD"] = "crash-test-password";
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is { } text)
                {
                    log.Enqueue(text);
                    if (text.StartsWith("gitfleet server listening on ", StringComparison.Ordinal))
                    {
                        listening.TrySetResult(text["gitfleet server listening on ".Length..].Split(',')[0].Trim());
                    }
                }
            };
            process.BeginErrorReadLine();
            var started = await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(60)));
            if (started != listening.Task)
            {
                process.Kill();
                throw new InvalidOperationException("the server did not start: " + string.Join('\n', log));
            }

            return new ServerProcess(process, new Uri(listening.Task.Result), Path.Combine(dataDirectory, "tls", "server.crt"));
        }

        public HttpClient Client(string? token)
        {
            var client = new HttpClient(PinnedCertificate.Handler(Certificate)) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
            if (token is not null)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return client;
        }

        /// <summary>SIGKILL: no shutdown, no flush.</summary>
        public void Kill()
        {
            if (killed)
            {
                return;
            }

            killed = true;
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
