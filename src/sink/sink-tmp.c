/* placeholder until the stage lands */ typedef int bt_sink_unused;
