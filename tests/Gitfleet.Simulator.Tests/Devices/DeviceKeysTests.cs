using System.Text;
using System.Text.Json;
using Gitfleet.Artifacts.Signing;
using Gitfleet.Simulator.Devices;
using Gitfleet.Simulator.Protocol;

namespace Gitfleet.Simulator.Tests.Devices;

public sealed class DeviceKeysTests
{
    [Fact]
    public void Auth_requests_are_signed_as_the_client_signs_them_and_verify_with_the_servers_verifier()
    {
        var idData = DeviceIdentity.IdData(DeviceIdentity.Generated("sim", 42));
        idData.ShouldStartWith("""{"mac":"02:""");
        idData.ShouldEndWith(""":00:00:2a","serial":"sim-000042"}""");
        var (body, signature) = DeviceApiClient.SignedAuthRequest(idData);
        body[^1].ShouldBe((byte)'\n');
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("id_data").GetString().ShouldBe(idData);
        json.RootElement.GetProperty("tenant_token").GetString().ShouldBe("");
        var pem = json.RootElement.GetProperty("pubkey").GetString()!;
        pem.ShouldBe(DeviceKeys.PublicKeyPem(idData));

        SignatureVerifier.Verify(pem, body, Convert.FromBase64String(signature)).ShouldBeTrue();
        body[10] ^= 1;
        SignatureVerifier.Verify(pem, body, Convert.FromBase64String(signature)).ShouldBeFalse();
    }

    [Fact]
    public void A_device_keeps_its_key_and_devices_differ()
    {
        var a = DeviceIdentity.IdData(DeviceIdentity.Generated("sim", 1));
        var b = DeviceIdentity.IdData(DeviceIdentity.Generated("sim", 2));
        var other = DeviceIdentity.IdData(DeviceIdentity.Generated("lab", 1));
        DeviceKeys.PublicKeyPem(a).ShouldBe(DeviceKeys.PublicKeyPem(a));
        DeviceKeys.PublicKeyPem(a).ShouldNotBe(DeviceKeys.PublicKeyPem(b));
        DeviceKeys.PublicKeyPem(a).ShouldNotBe(DeviceKeys.PublicKeyPem(other));
        Encoding.UTF8.GetString(DeviceKeys.PrivateScalar(a)).ShouldNotBeEmpty();
    }
}
