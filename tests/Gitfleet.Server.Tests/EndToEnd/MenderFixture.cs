using Gitfleet.Server.Tests.Support;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Mender;

namespace Gitfleet.Server.Tests.EndToEnd;

/// <summary>One server and one harness of real mender-client daemons for the end-to-end tests.</summary>
public sealed class MenderFixture : IAsyncLifetime
{
    public TestServer Server { get; } = new();

    public MenderClientHarness Harness { get; private set; } = null!;

    public TempDirectory Work { get; } = new("gitfleet-e2e");

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        Harness = new MenderClientHarness(Server.BaseUri.ToString(), Server.Server.CertificatePath!);
    }

    public async Task DisposeAsync()
    {
        if (Harness is not null)
        {
            await Harness.DisposeAsync();
        }

        await Server.DisposeAsync();
        Work.Dispose();
    }
}
