using System.Data.Common;
using System.Net.Sockets;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// Which handler failures are the infrastructure's (a database restarting, a network blip) rather than the
/// message's. The consumer retries those until they pass, with a capped backoff, instead of dead-lettering a
/// good message because its database was briefly away.
/// </summary>
public static class TransientFailures
{
    /// <summary>Whether the exception, or one it wraps, is transient.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>True for a transient database error, a timeout or a socket error.</returns>
    public static bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case UnprocessableEventException:
                    return false;
                case DbException { IsTransient: true }:
                case TimeoutException:
                case SocketException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsTransient):
                    return true;
            }
        }

        return false;
    }
}
