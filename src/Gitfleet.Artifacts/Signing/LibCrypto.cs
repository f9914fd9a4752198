using System.Runtime.InteropServices;

namespace Gitfleet.Artifacts.Signing;

/// <summary>
/// The few OpenSSL 3 libcrypto functions <see cref="OpenSslP256Key"/> binds: building a P-256 key from its point for
/// the default provider (EVP_PKEY_fromdata) and verifying a SHA-256 ECDSA signature with it (EVP_DigestVerify).
/// Every function that can fail returns 1 on success; callers check each one and clear the thread's error queue
/// after a failure, so no stale OpenSSL error is left for .NET's own calls on the same thread.
/// </summary>
internal static partial class LibCrypto
{
    /// <summary>The soname of OpenSSL 3's libcrypto, the library .NET's own cryptography loads on Linux.</summary>
    public const string Library = "libcrypto.so.3";

    /// <summary>OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY (EVP_PKEY_PUBLIC_KEY in evp.h).</summary>
    public const int SelectPublicKey = 0x86;

    /// <summary>OSSL_PARAM_UTF8_STRING and OSSL_PARAM_OCTET_STRING (params.h).</summary>
    public const uint ParamUtf8String = 4;
    public const uint ParamOctetString = 5;

    private static readonly Lazy<bool> Loadable = new(() => NativeLibrary.TryLoad(Library, out _));

    /// <summary>Whether libcrypto.so.3 can be loaded here (not on Windows or macOS, nor on a Linux without OpenSSL 3).</summary>
    public static bool IsAvailable => Loadable.Value;

    /// <summary>OSSL_PARAM (core.h): one named parameter of EVP_PKEY_fromdata.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OsslParam
    {
        public nint Key;
        public uint DataType;
        public nint Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial SafeEvpPKeyContextHandle EVP_PKEY_CTX_new_from_name(nint libraryContext, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, nint propertyQuery);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial void EVP_PKEY_CTX_free(nint context);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int EVP_PKEY_fromdata_init(SafeEvpPKeyContextHandle context);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static unsafe partial int EVP_PKEY_fromdata(SafeEvpPKeyContextHandle context, out SafeEvpPKeyHandle key, int selection, OsslParam* parameters);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial SafeEvpMdContextHandle EVP_MD_CTX_new();

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial void EVP_MD_CTX_free(nint context);

    /// <summary>A static object owned by libcrypto: never freed.</summary>
    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial nint EVP_sha256();

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int EVP_DigestVerifyInit(SafeEvpMdContextHandle context, nint keyContext, nint digest, nint engine, SafeEvpPKeyHandle key);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static unsafe partial int EVP_DigestVerify(SafeEvpMdContextHandle context, byte* signature, nuint signatureLength, byte* data, nuint dataLength);

    [LibraryImport(Library)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial void ERR_clear_error();

    /// <summary>An EVP_PKEY: its reference dropped when disposed or finalized.</summary>
    public sealed class SafeEvpPKeyHandle : OwnedHandle
    {
        protected override bool ReleaseHandle()
        {
            EVP_PKEY_free(handle);
            return true;
        }
    }

    /// <summary>An EVP_PKEY_CTX: freed when disposed or finalized.</summary>
    public sealed class SafeEvpPKeyContextHandle : OwnedHandle
    {
        protected override bool ReleaseHandle()
        {
            EVP_PKEY_CTX_free(handle);
            return true;
        }
    }

    /// <summary>An EVP_MD_CTX: freed when disposed or finalized.</summary>
    public sealed class SafeEvpMdContextHandle : OwnedHandle
    {
        protected override bool ReleaseHandle()
        {
            EVP_MD_CTX_free(handle);
            return true;
        }
    }

    /// <summary>A pointer to an OpenSSL object this process owns; NULL (a failed call) is invalid and never freed.</summary>
    public abstract class OwnedHandle() : SafeHandle(nint.Zero, ownsHandle: true)
    {
        public override bool IsInvalid => handle == nint.Zero;
    }
}
