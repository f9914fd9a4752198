using System.Net;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.DeviceAuth;

/// <summary>Expiry with the injected clock: no sleeping.</summary>
public sealed class TokenExpiryTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Device_and_user_tokens_expire_and_the_device_can_authenticate_again()
    {
        using var device = await server.AcceptedDeviceAsync();
        using var admin = await server.AdminAsync();
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        server.Time.Advance(TimeSpan.FromDays(8));

        using (var expired = await device.NextAsync())
        {
            expired.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await expired.Content.ReadAsStringAsync()).ShouldContain("expired");
        }

        (await admin.GetAsync("/api/management/v2/devauth/devices")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await device.AuthenticateAsync();
        (await device.NextAsync()).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }
}
