using System.Security.Cryptography;
using System.Text;
using Gitfleet.Server.Domain;
using Gitfleet.Server.Security;

namespace Gitfleet.Server.Tests.DeviceAuth;

/// <summary>The parsed-key cache of auth requests: one parse per key text, bounded, keys of removed auth sets dropped.</summary>
public sealed class DeviceKeyCacheTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("{\"id_data\":\"{}\"}\n");

    [Fact]
    public void A_key_text_is_parsed_once_and_verifies_like_the_parsed_key()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ecdsa.ExportSubjectPublicKeyInfoPem() + "\n";
        var cache = new DeviceKeyCache();

        var first = cache.Get(pem);
        cache.Get(pem).ShouldBeSameAs(first);
        cache.Count.ShouldBe(1);
        first.Pem.ShouldBe(pem);
        first.Verify(Data, ecdsa.SignData(Data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)).ShouldBeTrue();
        first.Verify(Data, other.SignData(Data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)).ShouldBeFalse();
    }

    [Fact]
    public void A_key_in_another_form_is_held_under_its_own_text_with_the_canonical_pem()
    {
        using var rsa = RSA.Create(2048);
        var pkcs1 = PemEncoding.WriteString("RSA PUBLIC KEY", rsa.ExportRSAPublicKey());
        var cache = new DeviceKeyCache();

        var entry = cache.Get(pkcs1);
        entry.Pem.ShouldBe(rsa.ExportSubjectPublicKeyInfoPem() + "\n");
        entry.Verify(Data, rsa.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)).ShouldBeTrue();
        cache.Get(pkcs1).ShouldBeSameAs(entry);
    }

    [Fact]
    public void A_text_that_is_no_key_is_refused_and_not_held()
    {
        var cache = new DeviceKeyCache();
        var refused = Should.Throw<DomainException>(() => cache.Get("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
        refused.Message.ShouldContain("pubkey is not a usable");
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public void The_cache_holds_at_most_two_generations_and_keeps_what_is_used()
    {
        var pems = Enumerable.Range(0, 10).Select(_ =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return key.ExportSubjectPublicKeyInfoPem() + "\n";
        }).ToList();
        var cache = new DeviceKeyCache(capacity: 4);
        var kept = cache.Get(pems[0]);
        foreach (var pem in pems.Skip(1))
        {
            cache.Get(pem);
            cache.Get(pems[0]).ShouldBeSameAs(kept, "a key in use moves to the young generation");
            cache.Count.ShouldBeLessThanOrEqualTo(2 * cache.Capacity);
        }

        var dropped = cache.Get(pems[1]);
        dropped.Pem.ShouldBe(pems[1], "a key dropped with an old generation is parsed again");
    }

    [Fact]
    public void Removing_a_key_drops_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportSubjectPublicKeyInfoPem() + "\n";
        var cache = new DeviceKeyCache();
        var first = cache.Get(pem);
        cache.Remove(pem);
        cache.Count.ShouldBe(0);
        cache.Get(pem).ShouldNotBeSameAs(first);
    }
}
