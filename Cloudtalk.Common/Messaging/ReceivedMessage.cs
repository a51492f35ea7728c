using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cloudtalk.Common.Messaging;

/// <summary>
/// A delivery, copied out of the broker client's callback: the client reuses the body's buffer once the callback
/// returns, and the message is handled later by a worker.
/// </summary>
/// <param name="Channel">The channel it came on, which alone can settle it (delivery tags are per channel).</param>
/// <param name="DeliveryTag">Its delivery tag.</param>
/// <param name="RoutingKey">Its routing key.</param>
/// <param name="EventName">Its AMQP <c>type</c>, or the routing key when it has none.</param>
/// <param name="Properties">Its properties.</param>
/// <param name="Body">A copy of its body.</param>
internal sealed record ReceivedMessage(
    IChannel Channel,
    ulong DeliveryTag,
    string RoutingKey,
    string EventName,
    IReadOnlyBasicProperties Properties,
    ReadOnlyMemory<byte> Body)
{
    public static ReceivedMessage Copy(IChannel channel, BasicDeliverEventArgs delivery) => new(
        channel,
        delivery.DeliveryTag,
        delivery.RoutingKey,
        delivery.BasicProperties.Type is { Length: > 0 } type ? type : delivery.RoutingKey,
        delivery.BasicProperties,
        delivery.Body.ToArray());
}
