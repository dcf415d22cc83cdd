/* placeholder until the stage lands */ typedef int bt_rules_unused;
