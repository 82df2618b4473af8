using System.Net;
using System.Net.Sockets;

namespace ActSearch.Testing;

/// <summary>
/// Loopback ports for test servers and silos. Test projects link this file
/// (<c>&lt;Compile Include="..\Shared\Ports.cs" Link="Shared\Ports.cs" /&gt;</c>); it is internal so that two linked
/// copies never clash.
/// </summary>
internal static class Ports
{
    /// <summary>
    /// A loopback port nothing listens on: the system hands out a free one and it is closed again at once. Good for a
    /// server to bind next, and for "cannot reach" tests.
    /// </summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
