using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gitfleet.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A real Gitfleet server on https://127.0.0.1:0 with a fresh data dir and a manual clock, plus HTTP clients that
/// trust exactly its generated certificate. Its store is SQLite, or, when GITFLEET_TEST_STORE=postgres (test.sh
/// runs this project a second time so), a fresh database on the test run's real PostgreSQL 15: the whole server
/// suite runs on both engines.
/// </summary>
public sealed class TestServer : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>The engine the server suite runs on in this process.</summary>
    public static readonly bool OnPostgres = Environment.GetEnvironmentVariable("GITFLEET_TEST_STORE") == "postgres";

    public const string AdminPassword = "correct horse battery staple";
    public const string AdminToken = "static-admin-token-for-tests-0123456789";

    private readonly TempDirectory data = new("gitfleet-server");
    private GitfleetServer? server;
    private string? adminToken;
    private PostgresServer? postgres;
    private string? database;

    public ManualTimeProvider Time { get; } = new();

    public GitfleetServer Server => server ?? throw new InvalidOperationException("the server is not started");

    public Uri BaseUri => Server.BaseUri;

    public string DataDirectory => data.Path;

    public Func<ServerOptions, ServerOptions> Configure { get; init; } = o => o;

    public async Task InitializeAsync()
    {
        if (OnPostgres)
        {
            postgres = await PostgresServer.SharedAsync().ConfigureAwait(false);
            database = await postgres.CreateDatabaseAsync("server").ConfigureAwait(false);
        }

        server = await GitfleetServer.StartAsync(Options(), Time).ConfigureAwait(false);
    }

    public ServerOptions Options() => Configure(new ServerOptions
    {
        DataDirectory = data.Path,
        Store = postgres?.Url(database!),
        StorePassword = postgres?.Password,
        Urls = ["https://127.0.0.1:0"],
        AdminPassword = AdminPassword,
        AdminToken = AdminToken,
        ConsoleLogging = false,
        CheckInFlushInterval = TimeSpan.FromMilliseconds(200),
    });

    /// <summary>Stops and starts the server on the same data dir (a new port).</summary>
    public async Task RestartAsync()
    {
        await Server.StopAsync().ConfigureAwait(false);
        adminToken = null;
        server = await GitfleetServer.StartAsync(Options(), Time).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        if (postgres is not null)
        {
            await postgres.DropDatabaseAsync(database!).ConfigureAwait(false);
        }

        data.Dispose();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    /// <summary>A client without credentials that trusts the server's generated certificate.</summary>
    public HttpClient Anonymous()
    {
        return new HttpClient(PinnedCertificate.Handler(Server.CertificatePath!)) { BaseAddress = BaseUri };
    }

    /// <summary>A client logged in as admin through useradm (HTTP Basic → JWT); the login is done once per server.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        adminToken ??= await LoginAsync().ConfigureAwait(false);
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        return client;
    }

    public async Task<string> LoginAsync(string user = "admin", string password = AdminPassword)
    {
        using var client = Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }

    /// <summary>A simulated device (C# keys, real HTTP) that is accepted, authenticated and has sent its inventory.</summary>
    /// <summary>
    /// Writes what the server defers by design (check-in times, and the provides a check-in reports), as its flusher
    /// does every few seconds: a test that compares a device before and after a request flushes first, so an earlier
    /// request's deferred write does not show up as this request's change.
    /// </summary>
    public Task FlushDeferredWritesAsync() => Server.Services.GetRequiredService<Gitfleet.Server.Devices.CheckInFlusher>().FlushAsync(CancellationToken.None);

    public async Task<SimulatedDevice> AcceptedDeviceAsync(string deviceType = "raspberrypi4", string artifactName = "release-1", IReadOnlyDictionary<string, string>? inventory = null)
    {
        var device = new SimulatedDevice(Anonymous());
        using (var first = await device.RequestAuthAsync().ConfigureAwait(false))
        {
            first.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        }

        using var admin = await AdminAsync().ConfigureAwait(false);
        var (deviceId, authSetId) = await FindDeviceAsync(admin, device).ConfigureAwait(false);
        using (var accept = await admin.PutAsJsonAsync($"/api/management/v2/devauth/devices/{deviceId}/auth/{authSetId}/status", new { status = "accepted" }).ConfigureAwait(false))
        {
            accept.StatusCode.ShouldBe(System.Net.HttpStatusCode.NoContent);
        }

        await device.AuthenticateAsync().ConfigureAwait(false);
        device.Id = deviceId;
        var attributes = new List<object> { new { name = "device_type", value = deviceType }, new { name = "artifact_name", value = artifactName } };
        foreach (var (name, value) in inventory ?? new Dictionary<string, string>())
        {
            attributes.Add(new { name, value });
        }

        using var put = await device.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", attributes).ConfigureAwait(false);
        put.EnsureSuccessStatusCode();
        return device;
    }

    public static async Task<(string DeviceId, string AuthSetId)> FindDeviceAsync(HttpClient admin, SimulatedDevice device)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(device);
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500").ConfigureAwait(false);
        foreach (var candidate in devices.EnumerateArray())
        {
            if (candidate.GetProperty("identity_data").GetProperty("mac").GetString() == device.Mac)
            {
                return (candidate.GetProperty("id").GetString()!, candidate.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
            }
        }

        throw new InvalidOperationException($"device {device.Mac} is not listed");
    }

    /// <summary>Uploads an artifact file through the management API; returns the response.</summary>
    public static async Task<HttpResponseMessage> UploadAsync(HttpClient admin, string path, string description = "")
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(description), "description" },
            { new StringContent(new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
        };
        var file = new StreamContent(File.OpenRead(path));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "artifact", Path.GetFileName(path));
        return await admin.PostAsync("/api/management/v1/deployments/artifacts", form).ConfigureAwait(false);
    }
}
