using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>What the local servers have in common: free ports, generated passwords, the run marker.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class LocalServer
{
    public const string Host = "127.0.0.1";

    // Where the kernel hands out local ports for outgoing connections when /proc does not say (IANA's range).
    private const int DefaultEphemeralStart = 49152;
    private const int LowestPort = 10000;
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port that is free now, below the kernel's ephemeral range. Not one the kernel hands out for port 0:
    /// those come from the ephemeral range, from which every outgoing connection also takes its local port, so one of
    /// them could take it before the server binds it. That happened to PostgreSQL in CI ("could not bind ... Address
    /// already in use"), and the whole AppHost then waited for it until its start timed out.
    /// </summary>
    public static int FreePort()
    {
        var ephemeralStart = EphemeralRangeStart();
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, ephemeralStart);
                if (!HandedOut.Contains(port) && IsFree(port))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free loopback port found between {LowestPort} and {ephemeralStart}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of Linux's ephemeral range (<c>ip_local_port_range</c>), or IANA's where it cannot be read.</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], System.Globalization.CultureInfo.InvariantCulture, out var start) && start > LowestPort + 1000
                ? start
                : DefaultEphemeralStart;
        }
        catch (IOException)
        {
            return DefaultEphemeralStart;
        }
        catch (UnauthorizedAccessException)
        {
            return DefaultEphemeralStart;
        }
    }

    /// <summary>A password for this run: letters and digits only, so it is safe in URIs and config files.</summary>
    public static string NewPassword() =>
        RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24);

    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>Marks a server (and, through inheritance, its children) as belonging to this run.</summary>
    public static IResourceBuilder<ExecutableResource> InRun(
        this IResourceBuilder<ExecutableResource> server, LocalStateFolder state) =>
        server.WithEnvironment(LocalStateFolder.MarkerVariable, state.Path)
            .ExcludeFromManifest();

    /// <summary>A loopback TCP endpoint on a fixed port, not proxied: the server itself listens there.</summary>
    public static IResourceBuilder<ExecutableResource> WithLoopbackEndpoint(
        this IResourceBuilder<ExecutableResource> server, string name, int port) =>
        server.WithEndpoint(name: name, scheme: "tcp", port: port, targetPort: port, isProxied: false);

    /// <summary>Writes a file only the current user can read (it holds a password).</summary>
    public static void WritePrivateFile(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Finds a server binary, or explains what to install.</summary>
    public static string RequireBinary(string package, params string[] candidates) =>
        candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"Local backing mode needs the Debian package '{package}' (looked for {string.Join(", ", candidates)}). " +
            "Run ./run.sh, which installs it, or start the AppHost with --backing containers where Docker runs.");
}
