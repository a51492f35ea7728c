using System.Globalization;
using System.Net;

namespace Cloudtalk.Tests.Security;

/// <summary>One TCP socket in the LISTEN state and the address it is bound to.</summary>
public sealed record ListeningSocket(IPEndPoint Endpoint, long Inode);

/// <summary>
/// The TCP sockets a process listens on, read the way the kernel shows them: its descriptors in /proc/PID/fd point at
/// "socket:[INODE]", and /proc/net/tcp and /proc/net/tcp6 list every socket with its inode, local address and state.
/// No tool in between (ss, netstat) whose output format or presence could change what the test sees.
/// </summary>
internal static class ListeningSockets
{
    private const string ListenState = "0A";

    /// <summary>Every listening TCP socket of this network namespace (IPv4 and IPv6), by inode.</summary>
    public static Dictionary<long, ListeningSocket> All()
    {
        var sockets = new Dictionary<long, ListeningSocket>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            // Header: "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] != ListenState)
                {
                    continue;
                }

                var inode = long.Parse(fields[9], CultureInfo.InvariantCulture);
                sockets[inode] = new ListeningSocket(ParseEndpoint(fields[1]), inode);
            }
        }

        return sockets;
    }

    /// <summary>The inodes of the sockets among a process's open descriptors (empty once it is gone).</summary>
    public static HashSet<long> SocketInodesOf(int pid)
    {
        var inodes = new HashSet<long>();
        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(descriptor).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The process (or a descriptor) went away meanwhile.
        }

        return inodes;
    }

    /// <summary>
    /// "0100007F:1F90" or 32 hex digits and a port. The address is printed as 32-bit words, each in the machine's own
    /// byte order: written back to memory as they were read, the words give the address's bytes in network order.
    /// </summary>
    private static IPEndPoint ParseEndpoint(string field)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        var (addressHex, portHex) = (field[..colon], field[(colon + 1)..]);
        var bytes = new byte[addressHex.Length / 2];
        for (var word = 0; word < addressHex.Length / 8; word++)
        {
            var value = uint.Parse(addressHex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            BitConverter.GetBytes(value).CopyTo(bytes, word * 4);
        }

        return new IPEndPoint(new IPAddress(bytes), int.Parse(portHex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
