"""Message classes for the interop scripts.

protoc (from the Grpc.Tools NuGet package) writes one FileDescriptorSet, messages.pb, of
proto/arbor/v1/*.proto and of the standard gRPC protos under Interop/protos (health, reflection);
the classes are built from it at run time. Generated *_pb2.py modules are not used: the protoc of
Grpc.Tools 2.85 emits code that requires a protobuf runtime >= its own (7.x, through
google.protobuf.runtime_version), which Debian's python3-protobuf (4.21) is not. A descriptor set
is the same at every protobuf version.
"""
import os

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def load(directory):
    """Returns {full message name: class} for every message in DIRECTORY/messages.pb."""
    with open(os.path.join(directory, "messages.pb"), "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read()).file
    if hasattr(message_factory, "GetMessageClassesForFiles"):
        pool = descriptor_pool.DescriptorPool()
        for file in files:
            pool.Add(file)
        return message_factory.GetMessageClassesForFiles([file.name for file in files], pool)
    return message_factory.GetMessages(files)


def enum_value(message_class, field, name):
    """The number of enum value NAME of FIELD of MESSAGE_CLASS."""
    return message_class.DESCRIPTOR.fields_by_name[field].enum_type.values_by_name[name].number


def enum_name(message, field):
    """The name of the enum value in FIELD of MESSAGE."""
    return message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[getattr(message, field)].name
