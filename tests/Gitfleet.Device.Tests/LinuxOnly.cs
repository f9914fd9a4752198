// The device parts run on Debian; so do their tests (mount namespaces, the Mender client, file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
